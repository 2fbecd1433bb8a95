/// The dashboard: one self-contained HTML page (inline CSS and JavaScript, nothing fetched from
/// elsewhere) that polls `cluster` (relative to where it is served) twice a second and shows the
/// nodes and their roles, the leader with its lease counting down, the leadership terms with their
/// tokens, renewals per second and the latest charges and declines.
///
/// Served by every node (its own status and its `--peer`s) and by `billing demo` (all nodes).
public enum DashboardPage {
    /// The page.
    public static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>billing cluster</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
        header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
        header h1 { font-size: 18px; margin: 0; }
        main { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; padding: 14px 20px; }
        section { background: #fff; border-radius: 6px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #5b6478; margin: 0 0 8px; }
        table { border-collapse: collapse; width: 100%; }
        td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eceef2; font-variant-numeric: tabular-nums; }
        .leader { color: #0a7d32; font-weight: 600; }
        .follower { color: #5b6478; }
        .down { color: #b3261e; }
        .big { font-size: 28px; font-weight: 600; }
        .bar { height: 10px; background: #e3e6ec; border-radius: 5px; overflow: hidden; margin-top: 6px; }
        .bar > div { height: 100%; background: #0a7d32; transition: width .4s linear; }
        .declined { color: #b3261e; }
        .succeeded { color: #0a7d32; }
        #timeline { display: flex; height: 26px; border-radius: 4px; overflow: hidden; margin-top: 6px; }
        #timeline div { color: #fff; font-size: 11px; padding: 4px; white-space: nowrap; overflow: hidden; border-right: 1px solid #fff; }
        canvas { width: 100%; height: 80px; }
        </style>
        </head>
        <body>
        <header><h1>billing cluster</h1><span id="updated">connecting…</span><span id="error" class="down"></span></header>
        <main>
        <section>
          <h2>Leader</h2>
          <div class="big"><span id="leader-id">none</span></div>
          <div>fencing token <b id="leader-token">–</b> · lease <b id="lease-remaining">–</b></div>
          <div class="bar"><div id="lease-bar" style="width:0%"></div></div>
        </section>
        <section>
          <h2>Renewals</h2>
          <div class="big"><span id="rate">0</span> / s</div>
          <div>charged <b id="charged">0</b> · declined <b id="declined">0</b> · provider retries <b id="retries">0</b> · need review <b id="review">0</b></div>
          <canvas id="chart" width="600" height="80"></canvas>
        </section>
        <section>
          <h2>Nodes</h2>
          <table id="nodes"><thead><tr><th>node</th><th>role</th><th>pid</th><th>sees leader</th><th>charged</th><th>declined</th></tr></thead><tbody></tbody></table>
        </section>
        <section>
          <h2>Leadership terms</h2>
          <div id="timeline"></div>
          <table id="terms"><thead><tr><th>token</th><th>leader</th><th>from</th><th>lasted</th></tr></thead><tbody></tbody></table>
          <div id="failovers"></div>
        </section>
        <section style="grid-column: 1 / span 2">
          <h2>Recent charges and declines</h2>
          <table id="charges"><thead><tr><th>time</th><th>key</th><th>amount</th><th>outcome</th></tr></thead><tbody></tbody></table>
        </section>
        </main>
        <script>
        "use strict";
        const colors = ["#1f6feb", "#8250df", "#bf3989", "#cf222e", "#9a6700", "#1a7f37", "#0969da"];
        const seen = {};            // node id -> last status
        const history = [];         // [time ms, total charged+declined]
        let lastLeader = null;
        const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
        const time = ms => new Date(ms).toISOString().substr(11, 12);
        function colorOf(id) { let h = 0; for (const c of String(id)) h = (h * 31 + c.charCodeAt(0)) >>> 0; return colors[h % colors.length]; }

        async function poll() {
          try {
            const response = await fetch("cluster", {cache: "no-store"});
            if (!response.ok) throw new Error("HTTP " + response.status);
            render(await response.json());
            document.getElementById("error").textContent = "";
          } catch (e) {
            document.getElementById("error").textContent = "cannot reach the cluster: " + e.message;
          }
        }

        function render(cluster) {
          const now = Date.now();
          const live = new Set();
          for (const node of cluster.nodes) { seen[node.nodeID] = {status: node, at: now}; live.add(node.nodeID); }
          const nodes = Object.values(seen).map(n => n.status).sort((a, b) => a.nodeID.localeCompare(b.nodeID, undefined, {numeric: true}));
          const leader = cluster.nodes.find(n => n.role === "leader");
          // Followers report the leader they observe; the leader itself reports its lease.
          document.getElementById("leader-id").textContent = leader ? leader.nodeID : "none";
          document.getElementById("leader-id").className = leader ? "leader" : "down";
          document.getElementById("leader-token").textContent = leader ? leader.token : "–";
          const remaining = leader ? leader.leaseRemainingMs : null;
          document.getElementById("lease-remaining").textContent = remaining == null ? "–" : (remaining / 1000).toFixed(1) + " s left";
          document.getElementById("lease-bar").style.width = remaining == null ? "0%" : Math.min(100, 100 * remaining / leader.leaseTTLMs) + "%";

          let charged = 0, declined = 0, retries = 0;
          const rows = nodes.map(n => {
            const up = live.has(n.nodeID);
            charged += n.engine.charged; declined += n.engine.declined; retries += n.engine.providerRetries;
            const role = up ? n.role : "unreachable";
            return `<tr data-node="${esc(n.nodeID)}" data-role="${esc(role)}"><td>${esc(n.nodeID)}</td><td class="${up ? n.role : "down"}">${esc(role)}</td>` +
              `<td>${n.pid}</td><td>${up ? esc(n.leaderID ?? "none") : "–"}</td><td>${n.engine.charged}</td><td>${n.engine.declined}</td></tr>`;
          });
          document.querySelector("#nodes tbody").innerHTML = rows.join("");
          const applied = cluster.demo ? cluster.demo.applied : charged + declined;
          if (cluster.demo) { declined = cluster.demo.declined; charged = applied - declined; }
          document.getElementById("charged").textContent = charged;
          document.getElementById("review").textContent = Math.max(0, ...nodes.map(n => n.chargesNeedingReview ?? 0));
          document.getElementById("declined").textContent = declined;
          document.getElementById("retries").textContent = retries;
          history.push([now, applied]);
          while (history.length > 120) history.shift();
          const past = history.find(h => h[0] >= now - 3000) ?? history[0];
          const rate = now > past[0] ? (applied - past[1]) * 1000 / (now - past[0]) : 0;
          document.getElementById("rate").textContent = Math.max(0, rate).toFixed(0);
          drawChart();

          const terms = {};
          for (const n of nodes) for (const t of n.terms) {
            const known = terms[t.token];
            if (!known) terms[t.token] = Object.assign({}, t);
            else { known.sinceMs = Math.min(known.sinceMs, t.sinceMs); if (t.untilMs) known.untilMs = Math.max(known.untilMs ?? 0, t.untilMs); }
          }
          const list = Object.values(terms).sort((a, b) => a.token - b.token);
          if (leader) { const current = terms[leader.token]; if (current) current.untilMs = null; }
          const start = list.length ? list[0].sinceMs : now;
          document.getElementById("timeline").innerHTML = list.map(t => {
            const end = t.untilMs ?? now;
            return `<div title="token ${t.token}" style="flex:${Math.max(1, end - t.sinceMs)};background:${colorOf(t.leaderID)}">${esc(t.leaderID)} #${t.token}</div>`;
          }).join("");
          document.querySelector("#terms tbody").innerHTML = list.slice(-8).reverse().map(t =>
            `<tr data-token="${t.token}"><td>${t.token}</td><td style="color:${colorOf(t.leaderID)}">${esc(t.leaderID)}</td><td>${time(t.sinceMs)}</td>` +
            `<td>${(((t.untilMs ?? now) - t.sinceMs) / 1000).toFixed(1)} s${leader && t.token === leader.token ? " (leading)" : ""}</td></tr>`).join("");
          if (cluster.demo && cluster.demo.failoverSeconds.length) {
            document.getElementById("failovers").textContent = "failovers: " + cluster.demo.failoverSeconds.map(s => s.toFixed(2) + " s").join(", ");
          }

          const events = nodes.flatMap(n => n.recentCharges).sort((a, b) => a.atMs - b.atMs).slice(-12).reverse();
          document.querySelector("#charges tbody").innerHTML = events.map(e =>
            `<tr><td>${time(e.atMs)}</td><td>${esc(e.key)}</td><td>${(e.amountMinor / 100).toFixed(2)} ${esc(e.currency)}</td>` +
            `<td class="${esc(e.outcome)}">${esc(e.outcome)}${e.declineCode ? " (" + esc(e.declineCode) + ")" : ""}</td></tr>`).join("");
          document.getElementById("updated").textContent = "updated " + time(now) + (leader ? "" : " · no leader");
          lastLeader = leader ? leader.nodeID : null;
        }

        function drawChart() {
          const canvas = document.getElementById("chart"), g = canvas.getContext("2d");
          g.clearRect(0, 0, canvas.width, canvas.height);
          const rates = [];
          for (let i = 1; i < history.length; i++) {
            const dt = history[i][0] - history[i - 1][0];
            rates.push(dt > 0 ? Math.max(0, (history[i][1] - history[i - 1][1]) * 1000 / dt) : 0);
          }
          const top = Math.max(1, ...rates), w = canvas.width / 120;
          g.fillStyle = "#1f6feb";
          rates.forEach((r, i) => { const h = r / top * (canvas.height - 4); g.fillRect(i * w, canvas.height - h, Math.max(1, w - 1), h); });
        }

        poll();
        setInterval(poll, 500);
        </script>
        </body>
        </html>
        """#
}
