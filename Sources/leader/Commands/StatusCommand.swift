import ArgumentParser
import Foundation
import LeaderElection

/// `leader status NAME [--json]`: the leader and the candidates, once.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the election's leader (value, token) and its candidates, oldest first.",
        discussion: """
            Text: 'leader key=K value=V token=T lease=L' (or 'leader none'), then one \
            'candidate key=K value=V token=T lease=L' line per candidate, the leader first. \
            JSON (--json): {"election":N,"leader":{...}|null,"candidates":[{...}]}, each candidate \
            with key, value, token (a number) and lease (hexadecimal text).
            """
    )

    @Argument(help: "The election's name.")
    var name: String

    @OptionGroup var store: StoreOptions

    @Flag(help: "Print one JSON object instead of text lines.")
    var json = false

    func validate() throws {
        guard !name.isEmpty else { throw ValidationError("the election NAME is empty; pass a name such as 'jobs'") }
    }

    func run() async throws {
        let logger = store.makeLogger()
        let status = try await store.withBackend(logger: logger) { backend in
            ElectionStatus(
                election: name,
                leader: try await backend.leader(election: name),
                candidates: try await backend.candidates(election: name)
            )
        }
        print(json ? status.json() : status.text())
    }
}

/// What `leader status` prints.
struct ElectionStatus: Encodable, Sendable {
    /// The election's name.
    var election: String
    /// The leader, if any.
    var leader: Candidacy?
    /// Every live candidacy, oldest first.
    var candidates: [Candidacy]

    private enum Keys: String, CodingKey { case election, leader, candidates }
    private enum CandidateKeys: String, CodingKey { case key, value, token, lease }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(election, forKey: .election)
        if let leader {
            var nested = container.nestedContainer(keyedBy: CandidateKeys.self, forKey: .leader)
            try Self.encode(leader, into: &nested)
        } else {
            try container.encodeNil(forKey: .leader)
        }
        var list = container.nestedUnkeyedContainer(forKey: .candidates)
        for candidate in candidates {
            var nested = list.nestedContainer(keyedBy: CandidateKeys.self)
            try Self.encode(candidate, into: &nested)
        }
    }

    private static func encode(_ candidate: Candidacy, into container: inout KeyedEncodingContainer<CandidateKeys>) throws {
        try container.encode(candidate.key, forKey: .key)
        try container.encode(candidate.value, forKey: .value)
        try container.encode(candidate.token.rawValue, forKey: .token)
        try container.encode("\(candidate.lease)", forKey: .lease)
    }

    /// One JSON object on one line.
    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Text lines.
    func text() -> String {
        var lines = [leader.map { "leader " + Self.fields($0) } ?? "leader none"]
        lines += candidates.map { "candidate " + Self.fields($0) }
        return lines.joined(separator: "\n")
    }

    private static func fields(_ candidate: Candidacy) -> String {
        "key=\(EventWriter.quoted(candidate.key)) value=\(EventWriter.quoted(candidate.value)) token=\(candidate.token) lease=\(candidate.lease)"
    }
}
