import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stateful, Stripe- and PayPal-compatible fake payment provider with fault injection.
///
/// Speaks `POST /v1/payment_intents`, `GET /v1/payment_intents/{id}`,
/// `GET /v1/payment_intents/search` (Stripe) and `POST /v1/oauth2/token`,
/// `POST /v2/checkout/orders`, `GET /v2/checkout/orders/{id}`, `GET /v1/reporting/transactions`
/// (PayPal), with the idempotency behaviour that matters: the first answer to a key is saved and
/// replayed (with `Idempotent-Replayed: true`) to every retry, errors included; the same key with
/// other parameters is an idempotency error; a key still in flight gets 409; a key is forgotten
/// once its retention (``Configuration/idempotencyKeyRetention``, 24 hours;
/// ``Configuration/payPalRequestIDRetention``, 6 hours) has passed, and a request with it is then
/// charged as new. ``TestScenario`` lists the test payment methods; ``FaultPlan`` the
/// `Sandbox-Fault` header; ``FaultRates`` random faults. `/sandbox/ledger`, `/sandbox/stats`,
/// `/sandbox/faults`, `/sandbox/clock` and `/sandbox/reset` serve audits and tests;
/// `/sandbox/payment_intents/{id}/authenticate` and `.../settle` act as the customer and the bank
/// for the test payment methods that need them (``TestScenario/authenticationRequired``,
/// ``TestScenario/processing``).
///
/// Retention is measured on the sandbox clock: the monotonic clock plus an offset that
/// ``advanceClock(by:)`` (or `POST /sandbox/clock/advance`) moves forward, so a test can step
/// past a day without waiting. The offset moves key retention and token expiry only; the
/// timestamps in answers (`created`, transaction dates) stay on the wall clock.
///
/// A ServiceLifecycle `Service`: ``run()`` serves until cancelled or gracefully shut down.
///
/// Not guaranteed: state lives in memory only and is lost when the process ends; searches see
/// new objects at once (Stripe's and PayPal's lag behind); only the fields the project and
/// Stripe's client libraries read are modelled; the admin endpoints have no authentication, so
/// keep the default loopback address.
public final class PaymentSandboxServer: Service, Sendable {
    private enum Binding {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case ended
    }

    /// The configuration the server was made with.
    public let configuration: Configuration
    let state: SandboxState
    let webhooks: WebhookDispatcher
    private let logger: Logger
    private let binding = Mutex(Binding.waiting([]))

    /// Creates a server. Throws ``PaymentSandboxError`` when the fault rates are invalid or a key
    /// retention is not positive.
    public init(configuration: Configuration = Configuration(), logger: Logger) throws {
        try configuration.faults.validate()
        guard configuration.idempotencyKeyRetention > .zero, configuration.payPalRequestIDRetention > .zero else {
            throw PaymentSandboxError(
                code: .invalidConfiguration,
                message:
                    "the key retentions must be positive, not \(configuration.idempotencyKeyRetention) (Stripe) and \(configuration.payPalRequestIDRetention) (PayPal)"
            )
        }
        try configuration.webhooks.validate()
        self.configuration = configuration
        self.logger = logger
        self.webhooks = WebhookDispatcher(seed: configuration.faults.seed, logger: logger)
        try webhooks.configure(configuration.webhooks)
        self.state = SandboxState(
            faults: configuration.faults,
            stripeKeyRetention: configuration.idempotencyKeyRetention,
            payPalRequestIDRetention: configuration.payPalRequestIDRetention
        )
    }

    /// Serves until the task is cancelled or a graceful shutdown is triggered. Call once.
    public func run() async throws {
        defer { finishBinding() }
        let application = Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "payment-sandbox"
            ),
            onServerRunning: { [weak self] channel in
                self?.bound(to: channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
        // Webhook deliveries run beside the server and stop with it.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.webhooks.run(client: .shared) }
            defer { group.cancelAll() }
            try await application.run()
        }
    }

    /// Sends Stripe webhook events to `settings`' endpoints from now on (none: stops sending).
    /// Throws ``PaymentSandboxError`` for an endpoint that is not an http(s) URL, a missing
    /// secret, or a fault rate outside 0...1.
    public func configureWebhooks(_ settings: WebhookSettings) throws(PaymentSandboxError) {
        try webhooks.configure(settings)
    }

    /// What webhook delivery has done so far.
    public var webhookStatistics: WebhookStatistics { webhooks.statistics }

    /// The port the server listens on, once it does. Throws ``PaymentSandboxError``
    /// (``PaymentSandboxError/Code/notRunning``) if ``run()`` ended first.
    public func port() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = binding.withLock { binding in
                switch binding {
                case .bound(let port): return .success(port)
                case .ended: return .failure(Self.notRunning)
                case .waiting(let waiters):
                    binding = .waiting(waiters + [continuation])
                    return nil
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// `http://host:port`, once the server listens.
    public func baseURL() async throws -> String {
        let port = try await port()
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)"
    }

    /// Every charge applied so far, in the order applied.
    public func ledger() -> [LedgerEntry] {
        state.withStorage { $0.ledger }
    }

    /// The counters since start or the last ``reset()``.
    public func statistics() -> SandboxStatistics {
        state.withStorage { $0.statistics }
    }

    /// The fault rates in force.
    public var faultRates: FaultRates {
        state.withStorage { $0.faults }
    }

    /// Replaces the fault rates and restarts their generator from `rates.seed`.
    public func setFaultRates(_ rates: FaultRates) throws {
        try rates.validate()
        state.withStorage { storage in
            storage.faults = rates
            storage.random = SplitMix64(seed: rates.seed)
        }
    }

    /// How far the sandbox clock runs ahead of the monotonic clock: the sum of every
    /// ``advanceClock(by:)`` since start or the last ``reset()``.
    public var clockOffset: Duration {
        state.withStorage { $0.clockOffset }
    }

    /// Moves the sandbox clock forward by `duration` (not negative), and forgets at once every
    /// key whose retention has passed on it; a later request with such a key charges again.
    /// Throws ``PaymentSandboxError`` (``PaymentSandboxError/Code/invalidConfiguration``) for a
    /// negative duration: the clock never goes back.
    public func advanceClock(by duration: Duration) throws {
        guard duration >= .zero else {
            throw PaymentSandboxError(code: .invalidConfiguration, message: "the sandbox clock only moves forward, not by \(duration)")
        }
        state.advanceClock(by: duration)
    }

    /// Forgets every key, object, token, ledger entry and counter, and sets the clock offset
    /// back to zero; keeps the fault rates.
    public func reset() {
        state.withStorage { storage in
            storage = SandboxStorage(faults: storage.faults)
        }
    }

    private func makeRouter() -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        let pipeline = SandboxPipeline(state: state, logger: logger)
        let stripe = StripeEndpoints(pipeline: pipeline, webhooks: webhooks, apiKeys: configuration.stripeAPIKeys)
        let payPal = PayPalEndpoints(
            pipeline: pipeline, webhooks: webhooks, clients: configuration.payPalClients, tokenLifetime: configuration.payPalTokenLifetime)
        let payPalWebhooks = PayPalWebhookEndpoints(payPal: payPal, webhooks: webhooks, state: state)
        let admin = AdminEndpoints(server: self)
        let customer = StripeCustomerEndpoints(server: self)

        router.post("/v1/payment_intents", use: stripe.create)
        router.get("/v1/payment_intents/search", use: stripe.search)
        router.get("/v1/payment_intents/:id", use: stripe.retrieve)
        router.post("/v1/oauth2/token", use: payPal.token)
        router.post("/v2/checkout/orders", use: payPal.createOrder)
        router.get("/v2/checkout/orders/:id", use: payPal.retrieveOrder)
        router.get("/v1/reporting/transactions", use: payPal.searchTransactions)
        router.post("/v1/notifications/verify-webhook-signature", use: payPalWebhooks.verify)
        router.post("/sandbox/paypal/captures/:id/settle", use: payPalWebhooks.settle)
        router.get("/sandbox/ledger", use: admin.ledger)
        router.get("/sandbox/stats", use: admin.statistics)
        router.get("/sandbox/faults", use: admin.faults)
        router.put("/sandbox/faults", use: admin.setFaults)
        router.post("/sandbox/faults", use: admin.setFaults)
        router.post("/sandbox/reset", use: admin.reset)
        router.get("/sandbox/clock", use: admin.clock)
        router.post("/sandbox/clock/advance", use: admin.advanceClock)
        router.get("/sandbox/health", use: admin.health)
        router.post("/sandbox/payment_intents/:id/authenticate", use: customer.authenticate)
        router.post("/sandbox/payment_intents/:id/settle", use: customer.settle)
        router.get("/sandbox/webhooks", use: admin.webhooks)
        router.put("/sandbox/webhooks", use: admin.setWebhooks)
        return router
    }

    private func bound(to port: Int) {
        let waiters: [CheckedContinuation<Int, any Error>] = binding.withLock { binding in
            guard case .waiting(let waiters) = binding else { return [] }
            binding = .bound(port)
            return waiters
        }
        logger.info("payment sandbox listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func finishBinding() {
        let waiters: [CheckedContinuation<Int, any Error>] = binding.withLock { binding in
            defer { binding = .ended }
            if case .waiting(let waiters) = binding { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume(throwing: Self.notRunning) }
    }

    private static var notRunning: PaymentSandboxError {
        PaymentSandboxError(code: .notRunning, message: "the payment sandbox is not running: run() failed to bind or has ended")
    }
}
