import LeaderElection

extension SQLiteConfiguration {
    /// Reads `sqlite:PATH` (`sqlite://PATH` too), for example `sqlite:/var/lib/leader/election.db`
    /// or `sqlite:election.db` (relative to the working directory).
    /// - Throws: `ElectionError.Code.invalidStoreURL` saying what is wrong.
    public init(url: String) throws {
        func invalid(_ why: String) -> ElectionError {
            ElectionError(
                code: .invalidStoreURL,
                message: "'\(url)' is not an SQLite store URL: \(why); expected sqlite:PATH, for example sqlite:/var/lib/leader/election.db"
            )
        }
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "sqlite" else { throw invalid("the scheme is not sqlite") }
        var path = url.dropFirst(scheme.count + 1)
        if path.hasPrefix("//") { path = path.dropFirst(2) }
        guard !path.isEmpty else { throw invalid("it names no file after 'sqlite:'") }
        self.init(path: String(path))
    }
}
