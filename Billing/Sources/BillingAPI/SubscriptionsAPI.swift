import Billing
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime

/// The subscriptions API (`openapi.json` beside this file), served by every node over the billing
/// store. Every change is one conditional write on the subscription's version (its ETag), the
/// rule the renewal engine's writes follow too; creation is idempotent by `Idempotency-Key`.
package struct SubscriptionsAPI: APIProtocol {
    let store: any BillingStore
    let logger: Logger

    package init(store: any BillingStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Adds the API's routes to `router`, behind bearer tokens, and `GET /openapi.json`. Other
    /// methods on the API's paths answer 405 with the ones allowed.
    package func register(on router: Router<BasicRequestContext>, tokens: APITokens) throws {
        router.add(middleware: try MethodNotAllowedMiddleware(document: OpenAPIDocument.json))
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
        }
        try registerHandlers(
            on: router, configuration: Configuration(dateTranscoder: RFC3339DateTranscoder()),
            middlewares: [ProblemMiddleware(logger: logger), PlainHeadersMiddleware(), BearerAuthMiddleware(tokens: tokens)])
    }

    // MARK: - Operations

    func createSubscription(_ input: Operations.CreateSubscription.Input) async throws -> Operations.CreateSubscription.Output {
        guard case .json(let request) = input.body else { throw APIProblem.badRequest("send the subscription as application/json") }
        let key = try input.headers.idempotencyKey.map(Self.checkedIdempotencyKey)
        let canonical = try Self.canonicalJSON(request)
        if let key, let recorded = try await call({ try await store.recordedCreation(idempotencyKey: key) }) {
            return try Self.replay(recorded, of: canonical)
        }
        let row = try await newRow(request)
        let body = try Self.resource(row)
        let recording = try key.map {
            RecordedCreation(idempotencyKey: $0, request: canonical, subscriptionID: row.id, response: try Self.encode(body))
        }
        do {
            try await call { try await store.createSubscription(row, recording: recording) }
        } catch let problem as APIProblem where problem.status == .unprocessableContent {
            // The same key, sent twice at once: answer what the request that won answered.
            guard let key, let recorded = try await call({ try await store.recordedCreation(idempotencyKey: key) }) else { throw problem }
            return try Self.replay(recorded, of: canonical)
        }
        return .created(.init(headers: .init(eTag: Self.eTag(row.version), location: "/v1/subscriptions/\(row.id)"), body: .json(body)))
    }

    func listSubscriptions(_ input: Operations.ListSubscriptions.Input) async throws -> Operations.ListSubscriptions.Output {
        let limit = input.query.limit ?? 20
        guard (1...100).contains(limit) else { throw APIProblem.badRequest("limit must be between 1 and 100, not \(limit)") }
        if let after = input.query.startingAfter { try Self.checkID(after, what: "starting_after") }
        // One more than asked for, to know whether another page follows.
        let rows = try await call {
            try await store.subscriptions(status: input.query.status?.rawValue, after: input.query.startingAfter, limit: limit + 1)
        }
        return .ok(.init(body: .json(.init(data: try rows.prefix(limit).map(Self.resource), hasMore: rows.count > limit))))
    }

    func getSubscription(_ input: Operations.GetSubscription.Input) async throws -> Operations.GetSubscription.Output {
        try Self.checkID(input.path.id, what: "the subscription id")
        guard let row = try await call({ try await store.subscription(id: input.path.id) }) else {
            throw APIProblem.notFound("no subscription '\(input.path.id)'")
        }
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    func cancelSubscription(_ input: Operations.CancelSubscription.Input) async throws -> Operations.CancelSubscription.Output {
        guard case .json(let request) = input.body else { throw APIProblem.badRequest("send the cancellation as application/json") }
        let row = try await change(input.path.id, ifMatch: input.headers.ifMatch, .cancel(atPeriodEnd: request.atPeriodEnd ?? false))
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    func pauseSubscription(_ input: Operations.PauseSubscription.Input) async throws -> Operations.PauseSubscription.Output {
        let row = try await change(input.path.id, ifMatch: input.headers.ifMatch, .pause)
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    func resumeSubscription(_ input: Operations.ResumeSubscription.Input) async throws -> Operations.ResumeSubscription.Output {
        let row = try await change(input.path.id, ifMatch: input.headers.ifMatch, .resume)
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    func changePaymentMethod(_ input: Operations.ChangePaymentMethod.Input) async throws -> Operations.ChangePaymentMethod.Output {
        guard case .json(let request) = input.body else { throw APIProblem.badRequest("send the payment method as application/json") }
        try Self.checkReference(request.paymentMethod, what: "payment_method")
        let row = try await change(input.path.id, ifMatch: input.headers.ifMatch, .paymentMethod(request.paymentMethod))
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    func changePlan(_ input: Operations.ChangePlan.Input) async throws -> Operations.ChangePlan.Output {
        guard case .json(let request) = input.body else { throw APIProblem.badRequest("send the plan as application/json") }
        let row = try await change(input.path.id, ifMatch: input.headers.ifMatch, .plan(try Self.plan(request.plan)))
        return .ok(.init(headers: .init(eTag: Self.eTag(row.version)), body: .json(try Self.resource(row))))
    }

    // MARK: - Helpers

    /// One conditional change, with the version from `If-Match`.
    private func change(_ id: String, ifMatch: String?, _ change: SubscriptionChange) async throws -> StoredSubscription {
        try Self.checkID(id, what: "the subscription id")
        guard let ifMatch else {
            throw APIProblem.preconditionRequired(
                "a change needs If-Match: the ETag of the version it is based on (GET the subscription), or * for any version")
        }
        let version = try Self.version(ifMatch: ifMatch)
        return try await call { try await store.changeSubscription(id: id, ifVersion: version, change) }
    }

    /// A new row for `request`, starting now by the store's clock unless it says when.
    private func newRow(_ request: Components.Schemas.SubscriptionCreate) async throws -> StoredSubscription {
        let id = request.id ?? Self.newID()
        try Self.checkID(id, what: "id")
        try Self.checkReference(request.customer, what: "customer")
        try Self.checkReference(request.paymentMethod, what: "payment_method")
        let plan = try Self.plan(request.plan)
        let anchor: Timestamp
        if let start = request.startAt {
            anchor = Timestamp(millisecondsSinceEpoch: Int64((start.timeIntervalSince1970 * 1000).rounded(.down)))
            // 1970-01-01 to 9998-01-01: every period boundary after it stays within the supported years.
            guard (0...253_370_764_800_000).contains(anchor.millisecondsSinceEpoch) else {
                throw APIProblem.badRequest("start_at must lie between 1970-01-01 and 9998-01-01")
            }
        } else {
            anchor = try await call { try await store.currentTime() }
        }
        return Subscription(id: id, customer: request.customer, plan: plan, paymentMethod: request.paymentMethod, anchor: anchor).stored
    }

    /// Runs a store call, turning its errors into problems: what the caller did wrong is a 4xx,
    /// an unreachable database a 503.
    private func call<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BillingError {
            switch error.code {
            case .subscriptionNotFound: throw APIProblem.notFound(error.message)
            case .versionMismatch: throw APIProblem.preconditionFailed(error.message)
            case .transitionNotAllowed, .invalidSubscription, .concurrentModification: throw APIProblem.conflict(error.message)
            case .idempotencyKeyReused: throw APIProblem.unprocessable(error.message)
            case .storeUnavailable: throw APIProblem.unavailable(error.message)
            default: throw error
            }
        }
    }
}
