import Foundation
import HTTPTypes
import Hummingbird

/// Answers 405, with `Allow`, a request for one of the API's paths with a method the document
/// does not give it (the router alone would answer 404, as if the path did not exist).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// The document's paths, `*` standing for a path parameter, and the methods each allows.
    static let paths: [(components: [String], methods: [HTTPRequest.Method])] = [
        (["v1", "subscriptions"], [.get, .post]), (["v1", "subscriptions", "*"], [.get]),
        (["v1", "subscriptions", "*", "cancel"], [.post]), (["v1", "subscriptions", "*", "pause"], [.post]),
        (["v1", "subscriptions", "*", "resume"], [.post]), (["v1", "subscriptions", "*", "payment_method"], [.post]),
        (["v1", "subscriptions", "*", "plan"], [.post]),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let components = request.uri.path.split(separator: "/").map(String.init)
        guard
            let allowed = Self.paths.first(where: { path in
                path.components.count == components.count && zip(path.components, components).allSatisfy { $0 == "*" || $0 == $1 }
            })?.methods,
            !allowed.contains(request.method), request.method != .head
        else { return try await next(request, context) }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        let problem = APIProblem(status: .methodNotAllowed, title: "Method not allowed", detail: "\(request.uri.path) allows \(list)")
        return Response(
            status: .methodNotAllowed, headers: [.contentType: "application/problem+json", .allow: list],
            body: ResponseBody(byteBuffer: ByteBuffer(data: problem.body)))
    }
}
