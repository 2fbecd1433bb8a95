/// The naming scheme of candidacy znodes, shared with kazoo's `Lock` and `Election` recipes: a
/// candidate is an ephemeral sequential child `PREFIX__lock__SEQUENCE` of the election's znode
/// (the sequence: ten digits, the server's), and the child with the lowest sequence leads.
struct ElectionNode: Sendable, Hashable {
    /// The marker before the sequence, as kazoo's `Lock` names it.
    static let marker = "__lock__"

    /// The child's name.
    let name: String
    /// The sequence, as the server wrote it (kazoo compares these strings).
    let sequence: Substring

    /// Parses a child name; nil when it is not a candidacy (kazoo ignores it too): it must end
    /// with the marker and ten digits, optionally signed (kazoo's `__lock__(-?\d{10})$`).
    init?(_ name: String) {
        let digits = name.suffix(10)
        guard digits.count == 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var rest = name.dropLast(10)
        var start = digits.startIndex
        if rest.hasSuffix("-") {
            rest = rest.dropLast()
            start = name.index(before: start)
        }
        guard rest.hasSuffix(Self.marker) else { return nil }
        self.name = name
        sequence = name[start...]
    }

    /// The candidacies among `children`, leader first, in the order kazoo gives them.
    static func contenders(_ children: [String]) -> [ElectionNode] {
        children.compactMap(ElectionNode.init).sorted { $0.sequence < $1.sequence }
    }

    /// The znode path of election `name`: the name itself when it begins with `/`, else under `root`.
    static func electionPath(_ name: String, root: String) -> String {
        if name.hasPrefix("/") { return name }
        return (root == "/" ? "" : root) + "/" + name
    }

    /// The paths from the top down to `path` (for creating missing parents).
    static func ancestry(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }
}
