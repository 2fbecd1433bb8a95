import ArgumentParser
import Billing
import BillingAPI
import BillingNode
import Foundation
import LeaderElection
import LeaderElectionStores
import Logging
import ServiceLifecycle

/// `billing node`: one replica of the renewal service.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one replica: the election, the renewal engine while leading, and the HTTP API.",
        discussion: """
            Every flag can also come from the environment variable named in its help, or from a \
            config file (--config) of NAME=VALUE lines with those names. Provider \
            credentials only come from the environment: STRIPE_API_KEY (or STRIPE_API_KEY_FILE), \
            PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET (or their _FILE variants). The admin \
            endpoints (POST /resign, /pause-billing, /resume-billing) need BILLING_ADMIN_TOKEN. \
            The subscriptions API (/v1/subscriptions, described at /openapi.json) needs a bearer \
            token from BILLING_API_TOKENS (or BILLING_API_TOKENS_FILE): SCOPE:TOKEN entries such \
            as read:r-123,write:w-456; the admin token has the admin scope. POST /webhooks/stripe \
            verifies deliveries with STRIPE_WEBHOOK_SECRET (or its _FILE; several, comma-separated, \
            while one is rotated out). \
            SIGTERM stops charging, resigns leadership and exits 0.
            """
    )

    @Option(help: "A config file of NAME=VALUE lines named like the environment variables, beneath them ($BILLING_CONFIG).")
    var config: String?

    @Option(name: .customLong("id"), help: "This node's id, unique in the cluster ($BILLING_NODE_ID).")
    var id: String?

    @Option(
        help:
            "The coordination store: sqlite:PATH, etcd://HOST:PORT[,...], postgres://... or zookeeper://HOST:PORT[,...] ($BILLING_COORDINATION)."
    )
    var coordination: String?

    @Option(help: "The billing database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB ($BILLING_DATABASE).")
    var database: String?

    @Option(help: "The payment provider: stripe or paypal ($BILLING_PROVIDER; default stripe).")
    var provider: String?

    @Option(help: "The provider's base URL, e.g. https://api.stripe.com or a sandbox's ($BILLING_PROVIDER_URL).")
    var providerURL: String?

    @Option(help: "The HTTP port; 0 picks a free one ($BILLING_HTTP_PORT; default 8080).")
    var httpPort: Int?

    @Option(help: "The address the HTTP API listens on ($BILLING_LISTEN; default 127.0.0.1).")
    var listen: String?

    @Option(help: "The lease TTL in seconds ($BILLING_LEASE_TTL; default 5).")
    var leaseTTL: Double?

    @Option(help: "Provider requests per second at most, 0 for no limit ($BILLING_RATE_LIMIT; default 20).")
    var rateLimit: Int?

    @Option(
        help:
            "When a declined renewal is retried: offsets from the first failure with a unit (s, m, h, d), comma-separated, or none ($BILLING_DUNNING; default 1d,3d,5d,7d)."
    )
    var dunning: String?

    @Option(
        help:
            "Seconds a charge the provider settles later (a bank debit processing, a customer to authenticate) waits for a webhook before the leader looks it up, and between lookups ($BILLING_SETTLEMENT_LOOKUP; default 3600)."
    )
    var settlementLookup: Int?

    @Option(
        name: .customLong("event-endpoint"),
        help:
            "A URL the leader delivers the outbox's events to, signed with $BILLING_EVENT_SECRET (or its _FILE); repeatable ($BILLING_EVENT_ENDPOINTS, comma-separated)."
    )
    var eventEndpoints: [String] = []

    @Option(
        name: .customLong("peer"),
        help: "Another node's base URL, for /cluster and the dashboard; repeatable ($BILLING_PEERS, comma-separated).")
    var peers: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error ($BILLING_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(
        help: "Append this node's leadership changes, fenced writes and provider calls as JSON lines to this file ($BILLING_EVENT_LOG).")
    var eventLog: String?

    @Option(help: "Seconds added to this node's wall clock, to show that billing does not depend on it ($BILLING_CLOCK_SKEW; default 0).")
    var clockSkew: Double?

    @Option(help: .hidden)
    var parentPID: Int32?

    func run() async throws {
        if let path = Environment.pick(config, "BILLING_CONFIG") { try Environment.loadConfigFile(path) }
        let configuration = try makeConfiguration()
        let level = Environment.pick(logLevel, "BILLING_LOG_LEVEL") ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw CLIError("unknown log level '\(level)'; use trace, debug, info, notice, warning or error")
        }
        let nodeID = configuration.nodeID
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            handler[metadataKey: "node"] = "\(nodeID)"
            return handler
        }
        let logger = Logger(label: "billing.node")
        try await DatabaseCheck.reachable(configuration.database, within: .seconds(15))
        let companions: [any Service] = parentPID.map { [ParentWatch(parentPID: $0)] } ?? []
        try await BillingNode.runUntilShutdown(
            configuration: configuration, environment: Environment.values, logger: logger, companions: companions)
    }

    func makeConfiguration() throws -> BillingNode.Configuration {
        let nodeID = try Environment.require(id, "BILLING_NODE_ID", flagName: "--id", example: "node-1")
        let coordinationText = try Environment.require(
            coordination, "BILLING_COORDINATION", flagName: "--coordination", example: "sqlite:/var/lib/billing/election.sqlite")
        let databaseText = try Environment.require(
            database, "BILLING_DATABASE", flagName: "--database", example: "sqlite:/var/lib/billing/billing.sqlite")
        let providerText = Environment.pick(provider, "BILLING_PROVIDER") ?? "stripe"
        guard let providerKind = ProviderKind(rawValue: providerText.lowercased()) else {
            throw CLIError("unknown --provider '\(providerText)'; use stripe or paypal")
        }
        let providerURLText = try Environment.require(
            providerURL, "BILLING_PROVIDER_URL", flagName: "--provider-url", example: "https://api.stripe.com")
        let coordinationURL: StoreURL
        do {
            coordinationURL = try StoreURL(coordinationText)
        } catch let error as ElectionError {
            throw CLIError("--coordination: \(error.message)")
        }
        guard ElectionStore.schemes.contains(coordinationURL.scheme) else {
            throw CLIError("--coordination: unknown store '\(coordinationText)'; use \(ElectionStore.acceptedForms)")
        }
        let databaseURL: BillingStoreURL
        do {
            databaseURL = try BillingStoreURL(databaseText)
        } catch {
            throw CLIError("--database: \(error.message)")
        }
        var configuration = BillingNode.Configuration(
            nodeID: nodeID, coordination: coordinationURL, database: databaseURL, provider: providerKind, providerURL: providerURLText
        )
        configuration.httpPort = try Environment.integer(httpPort, "BILLING_HTTP_PORT", default: 8080)
        guard (0...65535).contains(configuration.httpPort) else {
            throw CLIError("--http-port \(configuration.httpPort) is not a port; use 0...65535 (0 picks a free one)")
        }
        configuration.listenAddress = Environment.pick(listen, "BILLING_LISTEN") ?? "127.0.0.1"
        configuration.adminToken = Environment.values["BILLING_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            configuration.apiTokens = try APITokens(
                parsing: try Environment.secret("BILLING_API_TOKENS"), adminToken: configuration.adminToken)
        } catch let error as APITokensError {
            throw CLIError("BILLING_API_TOKENS: \(error.description)")
        }
        configuration.payPalWebhookID = Environment.values["PAYPAL_WEBHOOK_ID"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.stripeWebhookSecrets = Environment.split(try Environment.secret("STRIPE_WEBHOOK_SECRET"))
        let ttlText = leaseTTL.map { String($0) } ?? Environment.values["BILLING_LEASE_TTL"]
        if let ttlText {
            guard let seconds = Double(ttlText), seconds > 0 else {
                throw CLIError("--lease-ttl '\(ttlText)' is not a positive number of seconds")
            }
            do {
                configuration.election = try Election.Configuration(leaseTTL: .milliseconds(Int64(seconds * 1000)))
            } catch let error as ElectionError {
                throw CLIError("--lease-ttl: \(error.message)")
            }
        }
        let rate = try Environment.integer(rateLimit, "BILLING_RATE_LIMIT", default: 20)
        guard rate >= 0 else { throw CLIError("--rate-limit must be 0 (no limit) or positive, not \(rate)") }
        configuration.engine.providerRequestsPerSecond = rate == 0 ? nil : rate
        configuration.engine.providerBurst = max(rate, 20)
        if let dunningText = Environment.pick(dunning, "BILLING_DUNNING") {
            do {
                configuration.engine.dunning = try DunningSchedule(parsing: dunningText)
            } catch {
                throw CLIError("--dunning: \(error.message)")
            }
        }
        let lookup = try Environment.integer(settlementLookup, "BILLING_SETTLEMENT_LOOKUP", default: 3600)
        guard lookup >= 1 else { throw CLIError("--settlement-lookup must be a positive number of seconds, not \(lookup)") }
        configuration.engine.settlementLookupInterval = .seconds(lookup)
        let endpoints = Environment.list(eventEndpoints, "BILLING_EVENT_ENDPOINTS")
        for endpoint in endpoints {
            guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw CLIError(
                    "--event-endpoint '\(endpoint)' is not an http(s) URL; give one like https://billing-events.example.com/hook")
            }
        }
        configuration.eventEndpoints = endpoints
        // Endpoints without a secret are refused by BillingNode itself, for every way of configuring it.
        configuration.eventSecret = try Environment.secret("BILLING_EVENT_SECRET")
        configuration.peers = Environment.list(peers, "BILLING_PEERS")
        configuration.eventLogPath = Environment.pick(eventLog, "BILLING_EVENT_LOG")
        let skewText = clockSkew.map { String($0) } ?? Environment.values["BILLING_CLOCK_SKEW"]
        if let skewText {
            guard let seconds = Double(skewText), seconds.isFinite, abs(seconds) <= 10 * 365 * 86_400 else {
                throw CLIError("--clock-skew '\(skewText)' is not a number of seconds within ten years")
            }
            configuration.clockSkew = .milliseconds(Int64(seconds * 1000))
        }
        // Deliberately only from the environment: the negative controls break exactly-once on
        // purpose, and failpoints stop the process; both exist for the fault harness.
        if let control = Environment.values["BILLING_NEGATIVE_CONTROL"], !control.isEmpty {
            guard let parsed = NegativeControl(rawValue: control) else {
                throw CLIError(
                    "BILLING_NEGATIVE_CONTROL '\(control)' is unknown; use \(NegativeControl.allCases.map(\.rawValue).joined(separator: " or ")), or unset it"
                )
            }
            configuration.negativeControl = parsed
        }
        if let directory = Environment.values["BILLING_FAILPOINTS_DIR"], !directory.isEmpty {
            configuration.failpointDirectory = directory
        }
        return configuration
    }
}
