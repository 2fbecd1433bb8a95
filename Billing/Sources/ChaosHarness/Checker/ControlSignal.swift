/// The checker's independent signals. A negative control counts as caught only when the signal
/// meant for it fires (``ChaosCommand/Control/signal``); being caught by another one is luck.
enum ControlSignal: String, Codable, Sendable {
    /// The database committed an engine write under a token below its fence (``WriteAudit``).
    case staleWrite = "stale-write"
    /// The provider's ledger holds two charges for one renewal.
    case doubleCharge = "double-charge"
    /// A due renewal was never charged.
    case missed
    /// Two nodes led at once, or a node led after the coordination store showed a successor
    /// leading, or a write was made by a node that did not hold its token (``LeadershipCheck``).
    case overlap
    /// A subscription's history departed from its model: a period paid twice or not advanced, a
    /// dunning step skipped, repeated or early, a retry after a hard decline (``SubscriptionModel``).
    case model
}
