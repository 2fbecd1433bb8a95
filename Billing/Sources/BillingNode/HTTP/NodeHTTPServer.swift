import AsyncHTTPClient
import BillingAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The HTTP API of one node: `/healthz`, `/readyz`, `/status`, `/cluster`, `/metrics`, the
/// dashboard at `/`, and the admin endpoints `POST /resign`, `POST /pause-billing` and
/// `POST /resume-billing`, which need `Authorization: Bearer <admin token>`.
///
/// Not guaranteed: TLS (put a proxy in front when listening beyond loopback).
struct NodeHTTPServer: Sendable {
    let node: BillingNode
    let logger: Logger

    /// Serves until graceful shutdown; calls `bound` with the port once listening.
    func run(bound: @escaping @Sendable (Int) -> Void) async throws {
        let configuration = node.configuration
        let logger = self.logger
        let application = Application(
            router: try makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.listenAddress, port: configuration.httpPort),
                serverName: "billing-node"
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                bound(port)
                logger.info("HTTP API listening", metadata: ["url": "http://\(configuration.listenAddress):\(port)/"])
            },
            logger: logger
        )
        do {
            try await application.run()
        } catch let error as IOError {
            throw BillingNodeError(
                code: .httpUnavailable,
                message:
                    "cannot listen on \(configuration.listenAddress):\(configuration.httpPort) (\(error)); pick another --http-port or --listen address",
                cause: error
            )
        }
    }

    /// A webhook's answer as JSON (`{"outcome": ..., "detail": ...}`) with its status.
    private static func json(_ answer: WebhookAnswer) throws -> Response {
        var response = try json(["outcome": answer.outcome, "detail": answer.detail])
        response.status = .init(code: answer.status)
        return response
    }

    private func makeRouter() throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let node = self.node
        router.get("/healthz") { _, _ in Self.text(.ok, "ok\n") }
        router.get("/readyz") { _, _ in
            node.state.isReady
                ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "not ready: no answer from the coordination store yet\n")
        }
        router.get("/status") { _, _ in try Self.json(node.status()) }
        router.get("/cluster") { _, _ in try Self.json(ClusterStatus(nodes: await Self.cluster(node))) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: node.metrics.emitToBuffer()))
            )
        }
        router.get("/") { _, _ in Self.html(DashboardPage.html) }
        router.get("/dashboard") { _, _ in Self.html(DashboardPage.html) }
        try SubscriptionsAPI(store: node.store, logger: logger).register(on: router, tokens: node.configuration.apiTokens)
        let settler = WebhookSettler(
            store: node.store, dunning: node.configuration.engine.dunning,
            settlementLookupInterval: node.configuration.engine.settlementLookupInterval, logger: logger,
            metrics: PrometheusMetricsFactory(registry: node.metrics))
        let stripeWebhooks = StripeWebhookReceiver(settler: settler, secrets: node.configuration.stripeWebhookSecrets)
        router.post("/webhooks/stripe") { request, _ in
            guard !stripeWebhooks.secrets.isEmpty else {
                return Self.text(
                    .notFound, "Stripe webhooks are not enabled on this node: set STRIPE_WEBHOOK_SECRET (or STRIPE_WEBHOOK_SECRET_FILE)\n")
            }
            let payload = try await request.body.collect(upTo: 1 << 20)
            let answer = await stripeWebhooks.receive(
                payload: Array(buffer: payload), signature: request.headers[.init("Stripe-Signature")!])
            return try Self.json(answer)
        }
        let payPalWebhooks = node.payPalClient.flatMap { client in
            node.configuration.payPalWebhookID.map { PayPalWebhookReceiver(settler: settler, client: client, webhookID: $0) }
        }
        router.post("/webhooks/paypal") { request, _ in
            guard let payPalWebhooks else {
                return Self.text(
                    .notFound, "PayPal webhooks are not enabled on this node: run it with --provider paypal and set PAYPAL_WEBHOOK_ID\n")
            }
            let payload = try await request.body.collect(upTo: 1 << 20)
            let answer = await payPalWebhooks.receive(payload: Array(buffer: payload)) { name in
                HTTPField.Name(name).flatMap { request.headers[$0] }
            }
            return try Self.json(answer)
        }
        router.post("/resign") { request, _ in
            if let refusal = Self.refusal(request, token: node.configuration.adminToken) { return refusal }
            await node.resign()
            return Self.text(.ok, "resigned\n")
        }
        router.post("/pause-billing") { request, _ in
            if let refusal = Self.refusal(request, token: node.configuration.adminToken) { return refusal }
            await node.pauseBilling()
            return Self.text(.ok, "billing paused on \(node.configuration.nodeID)\n")
        }
        router.post("/resume-billing") { request, _ in
            if let refusal = Self.refusal(request, token: node.configuration.adminToken) { return refusal }
            node.resumeBilling()
            return Self.text(.ok, "billing resumed on \(node.configuration.nodeID)\n")
        }
        return router
    }

    /// This node's status followed by its peers' (a peer that does not answer within 500 ms is left out).
    private static func cluster(_ node: BillingNode) async -> [NodeStatus] {
        var statuses = [node.status()]
        await withTaskGroup(of: NodeStatus?.self) { group in
            for peer in node.configuration.peers {
                group.addTask { await fetchStatus(peer) }
            }
            for await status in group {
                if let status { statuses.append(status) }
            }
        }
        return statuses
    }

    /// `GET base/status`, or nil when it fails.
    static func fetchStatus(_ base: String) async -> NodeStatus? {
        var request = HTTPClientRequest(url: base.hasSuffix("/") ? base + "status" : base + "/status")
        request.method = .GET
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(500))
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 1 << 20)
            return try JSONDecoder().decode(NodeStatus.self, from: Data(body.readableBytesView))
        } catch {
            return nil
        }
    }

    /// A 401/403 answer unless the request carries the admin token; nil when it does.
    static func refusal(_ request: Request, token: String?) -> Response? {
        guard let token, !token.isEmpty else {
            return text(.forbidden, "admin endpoints are disabled: start the node with BILLING_ADMIN_TOKEN set\n")
        }
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), ConstantTime.equal(String(header.dropFirst(7)), token) else {
            var response = text(.unauthorized, "this endpoint needs 'Authorization: Bearer <BILLING_ADMIN_TOKEN>'\n")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return nil
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func html(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var response = Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
        // The dashboard served by one node (or by the demo) reads the others' status.
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}
