import Foundation
import HTTPTypes
import Hummingbird

/// Answers 405, with `Allow`, a request for one of the API's paths with a method the document
/// does not give it (the router alone would answer 404, as if the path did not exist).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// The document's paths, `*` standing for a path parameter, and the methods each allows: read
    /// from the document itself, so that they cannot drift from the routes generated from it.
    let paths: [(components: [String], methods: [HTTPRequest.Method])]

    init(document: [UInt8]) throws {
        guard let root = try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any],
            let paths = root["paths"] as? [String: [String: Any]]
        else { throw APIProblem(status: .internalServerError, title: "Invalid document", detail: "openapi.json has no paths") }
        self.paths = paths.map { path, operations in
            let components = path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : String($0) }
            let methods = operations.keys.compactMap { HTTPRequest.Method($0.uppercased()) }.sorted { $0.rawValue < $1.rawValue }
            return (components, methods)
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let components = request.uri.path.split(separator: "/").map(String.init)
        guard
            let allowed = paths.first(where: { path in
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
