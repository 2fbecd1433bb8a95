import BillingNode

/// Leadership held against the coordination store's own record of it (``LeadershipObserver``)
/// and against the other nodes: the `overlap` signal.
///
/// A node's *claim* under a token runs from its `leading` event to the end of that term: the
/// term's local deadline or its `leadership_ended` line, whichever came first (a pause that delays
/// the line does not stretch the term), or, for a process killed while leading, the start of its
/// last event.
/// Times are the host's real clock in every record, so they compare across processes.
///
/// What must hold:
/// - no two nodes' claims overlap;
/// - no claim under a token covers a read in which the store showed a *higher* token leading (a
///   higher token leads only once every lower candidacy is gone; a stale read can only show an
///   older state, so this direction has no false alarms), unless the store itself ended the
///   claim's lease before the expiry its own lease accounting had promised (etcd revoking a live
///   lease, etcd-io/etcd#12528): no client can stop a store from doing that, so such claims are
///   counted apart, and the first rule still holds for them;
/// - each token's holder in the store is the node that logged leading under it;
/// - every write the billing database committed (``WriteAudit``, by its session's
///   `application_name`) was made by the holder of its token.
struct LeadershipCheck {
    /// One node's term as its own event log shows it.
    struct Claim: Codable, Sendable {
        var node: String
        var token: Int64
        var startMs: Int64
        var endMs: Int64
        /// How the end is known: `deadline`, `ended` (its leadership_ended line), or `last-event` (killed).
        var endKnownBy: String
    }

    /// What the check found.
    struct Findings: Codable, Sendable {
        var claims = 0
        var storeTerms = 0
        var storeReads = 0
        var failedStoreReads = 0
        /// Pairs of nodes' claims that overlap.
        var overlappingClaims = 0
        /// Claims that covered a read in which the store showed a successor leading.
        var claimsPastStore = 0
        /// Claims that covered such a read only because the store ended their lease before the
        /// expiry it had promised (not violations; see the type's rules).
        var leasesEndedEarlyByStore = 0
        /// Tokens whose holder in the store is not the node that logged leading under them.
        var holderMismatches = 0
        /// Committed database writes made by a node other than their token's holder.
        var writesByNonHolder = 0
        /// Committed database writes checked against a known holder.
        var writesChecked = 0
        var violations: [String] = []

        var foundOverlap: Bool { overlappingClaims + claimsPastStore + holderMismatches + writesByNonHolder > 0 }
    }

    var events: [NodeEvent]
    var store: LeadershipObserver.Record
    var writes: [WriteAudit.Entry]

    /// Each node's claims, in order.
    static func claims(from events: [NodeEvent]) -> [Claim] {
        var claims: [Claim] = []
        for (node, ownEvents) in Dictionary(grouping: events, by: \.node) {
            var open: (token: Int64, start: Int64)?
            var last: Int64?
            for event in ownEvents.sorted(by: { $0.timeMs < $1.timeMs }) {
                switch event.kind {
                case .started:
                    // The process was killed while leading: its term ended by its last event.
                    if let current = open {
                        claims.append(
                            Claim(
                                node: node, token: current.token, startMs: current.start, endMs: last ?? current.start,
                                endKnownBy: "last-event"))
                        open = nil
                    }
                case .leading:
                    if let token = event.token { open = (token, event.timeMs) }
                case .leadershipEnded:
                    if let current = open, current.token == event.token {
                        let byDeadline = event.deadlineMs.map { $0 < event.timeMs } ?? false
                        claims.append(
                            Claim(
                                node: node, token: current.token, startMs: current.start,
                                endMs: byDeadline ? event.deadlineMs! : event.timeMs, endKnownBy: byDeadline ? "deadline" : "ended"))
                        open = nil
                    }
                default:
                    break
                }
                // A write or call counts from its start: one stopped mid-way (a failpoint, a
                // pause) and finished after a successor took over began while the node led.
                last = event.startMs ?? event.timeMs
            }
            if let current = open {
                claims.append(
                    Claim(node: node, token: current.token, startMs: current.start, endMs: last ?? current.start, endKnownBy: "last-event"))
            }
        }
        return claims.sorted { $0.startMs < $1.startMs }
    }

    func check() -> Findings {
        var findings = Findings()
        func violation(_ text: String) { if findings.violations.count < 20 { findings.violations.append(text) } }
        let claims = Self.claims(from: events)
        findings.claims = claims.count
        findings.storeTerms = store.terms.count
        findings.storeReads = store.reads
        findings.failedStoreReads = store.failedReads

        // No two nodes lead at once.
        for (index, earlier) in claims.enumerated() {
            for later in claims[(index + 1)...] where later.startMs < earlier.endMs {
                guard later.node != earlier.node else { continue }
                findings.overlappingClaims += 1
                violation(
                    "two leaders at once: \(earlier.node) led under token \(earlier.token) until \(earlier.endMs) (\(earlier.endKnownBy)) while \(later.node) led under token \(later.token) from \(later.startMs) (\(earlier.endMs - later.startMs) ms)"
                )
            }
        }

        // No node leads once the store shows a successor leading.
        let promised = Dictionary(store.terms.compactMap { term in term.promisedUntilMs.map { (term.token, $0) } }, uniquingKeysWith: max)
        for claim in claims {
            for term in store.terms where term.token > claim.token {
                guard claim.startMs <= term.firstReadSentMs, claim.endMs >= term.firstReadAnsweredMs else { continue }
                if let until = promised[claim.token], term.firstReadAnsweredMs < until {
                    findings.leasesEndedEarlyByStore += 1
                    break
                }
                findings.claimsPastStore += 1
                violation(
                    "\(claim.node) still led under token \(claim.token) (until \(claim.endMs), \(claim.endKnownBy)) when the coordination store showed token \(term.token) (\(term.holder)) leading, read at \(term.firstReadSentMs)…\(term.firstReadAnsweredMs)"
                )
                break
            }
        }

        // Each token held by the node the store names.
        var holders: [Int64: String] = [:]
        for event in events where event.kind == .leading {
            if let token = event.token { holders[token] = event.node }
        }
        for term in store.terms {
            if let logged = holders[term.token], logged != term.holder {
                findings.holderMismatches += 1
                violation("token \(term.token) is \(term.holder)'s in the coordination store, but \(logged) logged leading under it")
            }
            holders[term.token] = holders[term.token] ?? term.holder
        }

        // Every committed write made by its token's holder.
        for write in writes {
            guard let writer = write.writer, let token = write.writerToken, let holder = holders[token] else { continue }
            findings.writesChecked += 1
            if writer != holder {
                findings.writesByNonHolder += 1
                violation(
                    "\(writer) committed a write to \(write.table) under token \(token), which \(holder) held (audit #\(write.sequence))")
            }
        }
        if findings.storeReads == 0 { violation("the coordination store was never read: the leadership record is empty") }
        return findings
    }
}
