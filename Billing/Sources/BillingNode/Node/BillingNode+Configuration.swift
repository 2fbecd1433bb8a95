import Billing
import BillingAPI
import LeaderElection
import LeaderElectionStores

extension BillingNode {
    /// Everything one replica needs; `billing node` fills it from flags and `BILLING_*` variables.
    public struct Configuration: Sendable {
        /// This node's id, unique in the cluster (the candidate id and proclaimed value).
        public var nodeID: String
        /// The coordination store: `sqlite:PATH`, `etcd://HOST:PORT[,...]`, `postgres://...` or
        /// `zookeeper://HOST:PORT[,...]` (see `ElectionStore`).
        public var coordination: StoreURL
        /// The billing database: `sqlite:PATH` or `postgres://...`.
        public var database: BillingStoreURL
        /// The payment provider's kind.
        public var provider: ProviderKind
        /// The provider's base URL (the sandbox's in demos).
        public var providerURL: String
        /// The HTTP address to listen on. Default `127.0.0.1` (loopback only).
        public var listenAddress: String = "127.0.0.1"
        /// The HTTP port; 0 picks a free one. Default 8080.
        public var httpPort: Int = 8080
        /// The bearer token the admin endpoints require; nil disables them (403).
        public var adminToken: String?
        /// The subscriptions API's bearer tokens and their scopes (the admin token among them);
        /// none refuses every API request with 401.
        public var apiTokens: APITokens = .none
        /// The signing secrets of the Stripe webhook endpoint (`STRIPE_WEBHOOK_SECRET`, several
        /// while one is rotated out); none disables `POST /webhooks/stripe` (404).
        public var stripeWebhookSecrets: [String] = []
        /// The id of this service's webhook at PayPal (`PAYPAL_WEBHOOK_ID`), which PayPal's signature
        /// verification needs; nil disables `POST /webhooks/paypal` (404). Only with the PayPal provider.
        public var payPalWebhookID: String?
        /// Where the leader delivers the outbox's events (`BILLING_EVENT_ENDPOINTS`): http(s) URLs.
        /// None (default): events accumulate in the database, undelivered, for `billing events`.
        public var eventEndpoints: [String] = []
        /// The secret that signs event deliveries (`BILLING_EVENT_SECRET`); required with endpoints.
        public var eventSecret: String?
        /// Pacing of the outbox's delivery.
        var outboxRelay = OutboxRelay.Configuration()
        /// The election's name, shared by the replicas. Default `billing-renewals`.
        public var electionName: String = "billing-renewals"
        /// Lease timing. Default: TTL 5 s, renewals every TTL/3, safety margin TTL/10.
        public var election: Election.Configuration = .default
        /// The renewal engine's pacing. Default: the engine's defaults with passes every 500 ms.
        public var engine: RenewalEngine.Configuration = {
            var engine = RenewalEngine.Configuration()
            engine.passInterval = .milliseconds(500)
            return engine
        }()
        /// Status endpoints of the other replicas, which `/cluster` gathers for the dashboard. Default none.
        public var peers: [String] = []
        /// A file to append this node's ``NodeEvent``s to (leadership, fenced writes, provider
        /// calls), for the fault-injection harness's checker. Default none.
        public var eventLogPath: String?
        /// Added to the times the node shows (status and dashboard), for demonstrations: it
        /// changes nothing else. The engine takes "now" from the database (checked against the
        /// host's real clock) and leases run on the monotonic clock. Default zero.
        public var clockSkew: Duration = .zero
        /// How far the billing database's clock may be from this host's before the leader stops
        /// charging and steps down (`CheckedBillingClock` (Billing)). Default 30 s.
        public var clockTolerance: Duration = .seconds(30)
        /// How long the leader's calls to the billing database may wait with none completing
        /// before it steps down, so that a replica that still reaches the database bills
        /// instead (a partition between leader and database). Nil (default): the lease TTL.
        public var databaseStallLimit: Duration?
        /// How long the leader's work may take to stop after leadership ends before the process
        /// exits (status 75) for its supervisor to restart it. Default 10 s.
        public var wedgedWorkExitLimit: Duration = .seconds(10)
        /// A deliberate defect for the fault harness's negative controls; nil (default) in production.
        public var negativeControl: NegativeControl?
        /// Where the fault harness arms `Failpoint`s for this process; nil (default):
        /// failpoints are off.
        public var failpointDirectory: String?

        /// Creates a configuration; the other values take their documented defaults.
        public init(nodeID: String, coordination: StoreURL, database: BillingStoreURL, provider: ProviderKind, providerURL: String) {
            self.nodeID = nodeID
            self.coordination = coordination
            self.database = database
            self.provider = provider
            self.providerURL = providerURL
        }
    }
}
