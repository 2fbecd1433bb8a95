import Testing

extension LeaderCLITests {
    /// Mistakes on the command line: one `error:` line on standard error and a non-zero exit.
    @Suite struct CLIErrorTests {
        static func expectOneErrorLine(
            _ arguments: [String], mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let process = try LeaderProcess(arguments, label: "leader \(arguments.joined(separator: " "))")
            let status = try await process.waitForExit()
            let errorLines = process.errorText.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(status != 0, "exit status for \(arguments)", sourceLocation: sourceLocation)
            #expect(errorLines.count == 1, "expected one line on stderr, got: \(process.errorText)", sourceLocation: sourceLocation)
            let line = errorLines.first.map(String.init) ?? ""
            #expect(line.hasPrefix("error: "), "\(line)", sourceLocation: sourceLocation)
            for word in words {
                #expect(line.contains(word), "'\(line)' should mention '\(word)'", sourceLocation: sourceLocation)
            }
            #expect(process.lines.isEmpty, "nothing on stdout: \(process.lines)", sourceLocation: sourceLocation)
        }

        @Test func badStoreURL() async throws {
            try await Self.expectOneErrorLine(
                ["campaign", "jobs", "--store", "no-scheme-here"], mentioning: ["no-scheme-here", "sqlite:PATH"])
        }

        @Test func unknownScheme() async throws {
            try await Self.expectOneErrorLine(
                ["status", "jobs", "--store", "redis://localhost:6379"], mentioning: ["redis", "sqlite:PATH"])
        }

        @Test func missingDirectory() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let missing = directory.file("missing/sub") + "/election.db"
            try await Self.expectOneErrorLine(
                ["campaign", "jobs", "--store", "sqlite:" + missing], mentioning: [directory.file("missing/sub"), "mkdir"])
        }

        @Test func missingName() async throws {
            try await Self.expectOneErrorLine(["campaign", "--store", "sqlite:/tmp/x.db"], mentioning: ["<name>", "--help"])
        }

        @Test func missingStore() async throws {
            try await Self.expectOneErrorLine(["observe", "jobs"], mentioning: ["--store", "LEADER_STORE"])
        }

        @Test func runWithoutCommand() async throws {
            try await Self.expectOneErrorLine(["run", "jobs", "--store", "sqlite:/tmp/x.db"], mentioning: ["--"])
        }

        @Test func runUnknownCommand() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await Self.expectOneErrorLine(
                ["run", "jobs", "--store", directory.store, "--", "no-such-command-for-leader-tests"],
                mentioning: ["no-such-command-for-leader-tests"]
            )
        }

        @Test func badTTL() async throws {
            try await Self.expectOneErrorLine(["campaign", "jobs", "--store", "sqlite:/tmp/x.db", "--ttl", "0.001"], mentioning: ["--ttl"])
        }
    }
}
