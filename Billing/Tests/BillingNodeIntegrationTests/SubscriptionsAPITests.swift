import AsyncHTTPClient
import Billing
import Foundation
import NIOCore
import NIOHTTP1
import Payments
import Testing

/// The subscriptions API over HTTP, on real `billing node` processes: the follower serves it as
/// the leader does.
extension BillingProcessTests {
    /// One answer: status, headers and body.
    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    static func call(
        _ method: HTTPMethod, _ url: String, token: String? = TestCluster.writeToken, headers: [String: String] = [:], body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Answer(
            status: Int(response.status.code), headers: response.headers,
            body: String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    static let create =
        #"{"customer":"cus_api","payment_method":"pm_card_visa","plan":{"interval":"monthly","amount_minor":1999,"currency":"EUR"}}"#

    @Test("the subscriptions API: tokens and scopes, idempotent creation, If-Match on every change, problem+json errors")
    func subscriptionsAPI() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let (follower, leader) = (cluster.nodes[0].baseURL, cluster.nodes[1].baseURL)
            let collection = follower + "/v1/subscriptions"

            // The document served is the one committed beside the generated code.
            let served = try await Self.call(.GET, follower + "/openapi.json", token: nil)
            let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../Sources/BillingAPI/openapi.json")
            #expect(served.status == 200)
            #expect(served.body == (try String(contentsOf: committed, encoding: .utf8)))

            // No token, a wrong one, too low a scope.
            let anonymous = try await Self.call(.GET, collection, token: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["Content-Type"].first == "application/problem+json")
            #expect(anonymous.headers["WWW-Authenticate"].first == "Bearer")
            #expect(try await Self.call(.GET, collection, token: "not-a-token").status == 401)
            #expect(try await Self.call(.POST, collection, token: TestCluster.readToken, body: Self.create).status == 403)
            #expect(try await Self.call(.GET, collection, token: TestCluster.readToken).status == 200)

            // Creation, replayed by key (on another node), refused for another request under the key.
            let created = try await Self.call(.POST, collection, headers: ["Idempotency-Key": "create-1"], body: Self.create)
            #expect(created.status == 201)
            #expect(created.headers["ETag"].first == "\"0\"")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers["Location"].first == "/v1/subscriptions/\(id)")
            let replayed = try await Self.call(
                .POST, leader + "/v1/subscriptions", headers: ["Idempotency-Key": "create-1"], body: Self.create)
            #expect(replayed.status == 201)
            #expect(replayed.headers["Idempotent-Replayed"].first == "true")
            #expect(replayed.json["id"] as? String == id)
            let other = Self.create.replacingOccurrences(of: "cus_api", with: "cus_other")
            #expect(try await Self.call(.POST, collection, headers: ["Idempotency-Key": "create-1"], body: other).status == 422)

            // The same key sent to both nodes at once creates one subscription.
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await Self.call(
                            .POST, (index % 2 == 0 ? follower : leader) + "/v1/subscriptions", headers: ["Idempotency-Key": "race"],
                            body: other)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.map(\.status) == Array(repeating: 201, count: 8))
            #expect(Set(answers.compactMap { $0.json["id"] as? String }).count == 1)
            let list = try await Self.call(.GET, collection + "?limit=100")
            #expect((list.json["data"] as? [Any])?.count == 2)

            // Every change names the version it is based on.
            let url = leader + "/v1/subscriptions/\(id)"
            #expect(try await Self.call(.POST, url + "/pause").status == 428)
            #expect(try await Self.call(.POST, url + "/pause", headers: ["If-Match": "\"7\""]).status == 412)
            #expect(try await Self.call(.POST, url + "/pause", headers: ["If-Match": "seven"]).status == 400)
            let paused = try await Self.call(.POST, url + "/pause", headers: ["If-Match": "\"0\""])
            #expect(paused.status == 200)
            #expect(paused.json["status"] as? String == "paused")
            #expect(paused.headers["ETag"].first == "\"1\"")
            let fetched = try await Self.call(.GET, follower + "/v1/subscriptions/\(id)", token: TestCluster.readToken)
            #expect(fetched.headers["ETag"].first == "\"1\"")
            #expect(try await Self.call(.POST, url + "/pause", headers: ["If-Match": "*"]).status == 409)

            // A row an import wrote with a currency the API cannot show: a 409 naming it, not a made-up value.
            let imported = try await SQLiteBillingStore.open(path: cluster.directory + "/billing.sqlite", logger: .init(label: "test"))
            var row = try #require(try await imported.subscription(id: id))
            row.id = "imported"
            row.currency = "XTS"
            try await imported.saveSubscription(row)
            try await imported.close()
            let unshowable = try await Self.call(.GET, collection + "/imported")
            #expect(unshowable.status == 409)
            #expect((unshowable.json["detail"] as? String)?.contains("XTS") == true)

            // Bad input is a 4xx with a problem document, never a 5xx.
            #expect(try await Self.call(.GET, collection + "/nope").status == 404)
            let malformed = try await Self.call(.POST, collection, body: #"{"customer":"#)
            #expect(malformed.status == 400)
            #expect(malformed.json["detail"] is String)
            #expect(
                try await Self.call(
                    .POST, collection,
                    body: #"{"customer":"c","payment_method":"p","plan":{"interval":"weekly","amount_minor":1,"currency":"EUR"}}"#
                ).status == 400)
            // Stripe's webhooks: verified against the rotated secrets, recorded once, replays refused.
            let event =
                #"{"id":"evt_api","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_x","object":"payment_intent","status":"succeeded","metadata":{}}}}"#
            let signature = StripeWebhook.signatureHeader(
                payload: Array(event.utf8), secret: TestCluster.webhookSecret, timestamp: Int64(Date().timeIntervalSince1970))
            let webhook = leader + "/webhooks/stripe"
            let delivered = try await Self.call(.POST, webhook, token: nil, headers: ["Stripe-Signature": signature], body: event)
            #expect(delivered.status == 200)
            #expect(delivered.json["outcome"] as? String == "ignored", "it names no charge of this service")
            #expect(
                try await Self.call(.POST, follower + "/webhooks/stripe", token: nil, headers: ["Stripe-Signature": signature], body: event)
                    .status == 409)
            let forged = StripeWebhook.signatureHeader(
                payload: Array(event.utf8), secret: "whsec_forged", timestamp: Int64(Date().timeIntervalSince1970))
            #expect(try await Self.call(.POST, webhook, token: nil, headers: ["Stripe-Signature": forged], body: event).status == 400)
            let stale = StripeWebhook.signatureHeader(
                payload: Array(event.utf8), secret: TestCluster.webhookSecret, timestamp: Int64(Date().timeIntervalSince1970) - 600)
            #expect(try await Self.call(.POST, webhook, token: nil, headers: ["Stripe-Signature": stale], body: event).status == 400)

            let trace = try await Self.call(.DELETE, collection)
            #expect(trace.status == 405)
            #expect(trace.headers["Allow"].first == "GET, POST")
        }
    }
}
