import Glibc

extension ChildProcess {
    /// How a child is set up: its standard descriptors, environment, process group and signals.
    /// The defaults leave everything as `posix_spawn` would, except the signal state (see
    /// ``resetsSignals``).
    public struct Options: Sendable {
        /// Where standard input comes from.
        public enum Input: Sendable, Hashable {
            /// This process's standard input.
            case inherit
            /// `/dev/null`: a read finds the end at once (a child of a test or a daemon must not
            /// wait for a terminal).
            case null
        }

        /// Where standard output or standard error goes.
        public enum Output: Sendable, Hashable {
            /// This process's descriptor.
            case inherit
            /// `/dev/null`.
            case discard
            /// Appended to the file at the path, created (mode 644) if missing: a restarted child
            /// adds to the log of its predecessor.
            case append(toFile: String)
            /// A pipe whose read end is ``ChildProcess/outputPipe`` or ``ChildProcess/errorPipe``.
            case pipe
            /// For standard error only: wherever standard output goes (`2>&1`).
            case sameAsOutput
        }

        /// The child's environment.
        public enum Environment: Sendable, Hashable {
            /// This process's environment.
            case inherit
            /// This process's environment, with these variables replaced or added.
            case inheritOverriding([String: String])
            /// Exactly these variables.
            case exactly([String: String])

            /// `KEY=VALUE` strings (this process's variables as they are now, for the inherited).
            func entries() -> [String] {
                switch self {
                case .inherit:
                    return Self.current()
                case .inheritOverriding(let overrides):
                    let kept = Self.current().filter { entry in
                        guard let equals = entry.firstIndex(of: "=") else { return true }
                        return overrides[String(entry[..<equals])] == nil
                    }
                    return kept + overrides.map { "\($0.key)=\($0.value)" }
                case .exactly(let variables):
                    return variables.map { "\($0.key)=\($0.value)" }
                }
            }

            private static func current() -> [String] {
                var entries: [String] = []
                var index = 0
                while let entry = environ[index] {
                    entries.append(String(cString: entry))
                    index += 1
                }
                return entries
            }
        }

        /// The child's process group.
        public enum ProcessGroup: Sendable, Hashable {
            /// This process's group: a terminal's Ctrl-C reaches the child too.
            case inherit
            /// A new group the child leads (signal it with ``ChildProcess/signalGroup(_:)``), so
            /// that one signal reaches every process it forks (PostgreSQL's backends).
            case newGroup
            /// A new session, and so a new group: not stopped or interrupted with this process's
            /// group or terminal.
            case newSession
        }

        /// glibc's `POSIX_SPAWN_SETSID` (a GNU extension, since glibc 2.26), which Swift's Glibc
        /// module does not export: the child calls `setsid()`.
        static let setSessionFlag: Int32 = 0x80

        /// Standard input.
        public var input: Input
        /// Standard output.
        public var output: Output
        /// Standard error.
        public var error: Output
        /// The environment.
        public var environment: Environment
        /// The process group.
        public var processGroup: ProcessGroup
        /// Whether every signal starts with its default action and an empty mask (see
        /// ``ChildProcess/spawn(_:_:options:)`` for why); otherwise the child inherits the
        /// ignored signals and the spawning thread's mask.
        public var resetsSignals: Bool
        /// Whether a bare executable name is looked up in `PATH` (`posix_spawnp`).
        public var searchesPath: Bool
        /// More descriptors for the child: `(descriptor here, descriptor in the child)`, the
        /// targets numbered from 3 up without gaps. Every other descriptor beyond 0, 1 and 2 is
        /// closed in the child (see ``ChildProcess/spawn(_:_:options:)``).
        public var descriptors: [(source: Int32, target: Int32)]

        public init(
            input: Input = .inherit,
            output: Output = .inherit,
            error: Output = .inherit,
            environment: Environment = .inherit,
            processGroup: ProcessGroup = .inherit,
            resetsSignals: Bool = true,
            searchesPath: Bool = false,
            descriptors: [(source: Int32, target: Int32)] = []
        ) {
            self.input = input
            self.output = output
            self.error = error
            self.environment = environment
            self.processGroup = processGroup
            self.resetsSignals = resetsSignals
            self.searchesPath = searchesPath
            self.descriptors = descriptors
        }
    }
}
