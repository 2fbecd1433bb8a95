import AsyncHTTPClient
import Foundation
import NIOCore

/// Short HTTP GETs with a deadline, for node statuses and etcd's metrics.
struct HTTPProbe: Sendable {
    let client: HTTPClient

    /// The body of a 200 answer to `url` within `timeout`, or nil.
    func get(_ url: String, timeout: Duration = .milliseconds(800)) async -> Data? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 8 << 20)
            return Data(buffer: body)
        } catch {
            return nil
        }
    }
}
