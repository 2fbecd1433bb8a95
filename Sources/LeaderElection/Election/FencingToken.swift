/// A number that strictly increases across all leaderships of one election.
///
/// Pass it with every side effect; the resource (a database, a provider) must reject a token lower
/// than the highest it has seen. That is what makes a paused, deposed leader harmless.
public struct FencingToken: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The raw value (etcd: the leader key's create revision; SQL stores: a counter).
    public var rawValue: Int64
    /// Wraps a raw value.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public static func < (lhs: FencingToken, rhs: FencingToken) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
