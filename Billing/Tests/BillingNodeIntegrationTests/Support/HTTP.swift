import AsyncHTTPClient
import BillingNode
import Foundation
import NIOCore
import NIOHTTP1

/// Small HTTP helpers over the shared client.
enum HTTP {
    /// The status code and body of a request, or nil when the server did not answer in time.
    static func request(
        _ url: String, method: HTTPMethod = .GET, bearer: String? = nil, timeout: Duration = .seconds(2)
    ) async -> (status: Int, body: String)? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout.components.seconds * 1000)))
            let body = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            return nil
        }
    }

    /// The node's `/status`, or nil.
    static func status(_ base: String) async -> NodeStatus? {
        guard let (code, body) = await request(base + "/status", timeout: .seconds(1)), code == 200 else { return nil }
        return try? JSONDecoder().decode(NodeStatus.self, from: Data(body.utf8))
    }
}
