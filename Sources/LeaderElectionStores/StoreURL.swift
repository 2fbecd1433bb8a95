import LeaderElection

/// A store URL as given on a command line or in configuration: `sqlite:PATH`,
/// `etcd://host:port[,host:port...]`, `postgres://...`, `zookeeper://host:port[,...]`.
///
/// The scheme selects the backend (see ``ElectionStore``); the rest is the backend's to interpret.
public struct StoreURL: Sendable, Hashable, CustomStringConvertible {
    /// The scheme, lowercased (`sqlite`, `etcd`, ...).
    public var scheme: String
    /// Everything after `scheme:` (and after `//` when present).
    public var location: String
    /// Whether the URL used the `scheme://` form.
    public var hasAuthority: Bool

    /// Parses `text`.
    /// - Throws: `ElectionError.Code.invalidStoreURL` with a message that shows the accepted forms.
    public init(_ text: String) throws {
        let forms = "expected \(ElectionStore.acceptedForms)"
        guard let colon = text.firstIndex(of: ":") else {
            throw ElectionError(code: .invalidStoreURL, message: "store URL '\(text)' has no scheme; \(forms)")
        }
        let scheme = text[..<colon].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" }) else {
            throw ElectionError(code: .invalidStoreURL, message: "store URL '\(text)' has an invalid scheme; \(forms)")
        }
        var rest = text[text.index(after: colon)...]
        hasAuthority = rest.hasPrefix("//")
        if hasAuthority { rest = rest.dropFirst(2) }
        guard !rest.isEmpty else {
            throw ElectionError(code: .invalidStoreURL, message: "store URL '\(text)' names no location after '\(scheme):'; \(forms)")
        }
        self.scheme = scheme
        self.location = String(rest)
    }

    public var description: String { hasAuthority ? "\(scheme)://\(location)" : "\(scheme):\(location)" }
}
