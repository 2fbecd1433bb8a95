import Foundation

/// The bearer tokens the subscriptions API accepts, each with its scope: from `BILLING_API_TOKENS`
/// (or the file `BILLING_API_TOKENS_FILE` names), a comma-separated list of `SCOPE:TOKEN` entries
/// such as `read:r-123,write:w-456`, plus `BILLING_ADMIN_TOKEN` as an admin token. Like the
/// provider keys they never come from flags, and no message prints them.
public struct APITokens: Sendable {
    private let scopes: [String: APIScope]

    /// No token at all: every API request is refused with 401.
    public static let none = APITokens(scopes: [:])

    private init(scopes: [String: APIScope]) { self.scopes = scopes }

    /// Parses `list` (`SCOPE:TOKEN,...`; blanks around entries are ignored) and adds `adminToken`.
    /// - Throws: ``APITokensError`` naming the entry that is wrong (by position, never by its token).
    public init(parsing list: String?, adminToken: String? = nil) throws(APITokensError) {
        var scopes: [String: APIScope] = [:]
        let entries = (list ?? "").split(separator: ",", omittingEmptySubsequences: false)
        for (index, raw) in entries.enumerated() {
            let entry = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if entry.isEmpty && entries.count == 1 { break }
            let position = "entry \(index + 1) of BILLING_API_TOKENS"
            guard let colon = entry.firstIndex(of: ":") else {
                throw APITokensError("\(position) has no scope: write SCOPE:TOKEN with SCOPE one of read, write, admin")
            }
            let scopeName = String(entry[..<colon])
            let token = String(entry[entry.index(after: colon)...])
            guard let scope = APIScope(rawValue: scopeName) else {
                throw APITokensError("\(position) has the unknown scope '\(scopeName)'; use read, write or admin")
            }
            guard token.count >= 8, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," }) else {
                throw APITokensError("\(position) (scope \(scopeName)) needs a token of at least 8 printable ASCII characters")
            }
            if let earlier = scopes[token], earlier != scope {
                throw APITokensError(
                    "\(position) repeats a token given before with the scope \(earlier.rawValue); give each token one scope")
            }
            scopes[token] = scope
        }
        if let adminToken, !adminToken.isEmpty { scopes[adminToken] = .admin }
        self.scopes = scopes
    }

    /// The scope of `token`, compared in constant time per token; nil for an unknown token.
    public func scope(of token: String) -> APIScope? {
        var found: APIScope?
        for (candidate, scope) in scopes where ConstantTime.equal(candidate, token) { found = scope }
        return found
    }

    /// Whether any token is configured.
    public var isEmpty: Bool { scopes.isEmpty }
}

/// A `BILLING_API_TOKENS` list that cannot be used, and why.
public struct APITokensError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Comparisons whose time does not depend on where two secrets first differ.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` are equal, looking at every byte of the shorter one.
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
