import LeaderElection

/// An open store: the backend to use, what keeps it running, and how to close it.
struct ConnectedStore: Sendable {
    /// The backend the URL selected.
    let backend: any ElectionBackend
    /// The URL it was opened from (for messages).
    let url: StoreURL
    private let runBody: (@Sendable () async throws -> Void)?
    private let closeBody: @Sendable () async -> Void

    /// Wraps `backend`; `run` (when given) must run while the backend is used (its connections,
    /// for example) and return once `close` was called; `close` releases its resources.
    init(
        backend: any ElectionBackend,
        url: StoreURL,
        run: (@Sendable () async throws -> Void)? = nil,
        close: @escaping @Sendable () async -> Void
    ) {
        self.backend = backend
        self.url = url
        self.runBody = run
        self.closeBody = close
    }

    /// Releases the backend's resources. Call once, after the last use.
    func close() async { await closeBody() }

    /// Runs `body` with this store (and the store's own work beside it), closing it afterwards
    /// whatever happens.
    func use<T: Sendable>(_ body: (any ElectionBackend) async throws -> T) async throws -> T {
        guard let runBody else {
            do {
                let result = try await body(backend)
                await close()
                return result
            } catch {
                await close()
                throw error
            }
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runBody() }
            do {
                let result = try await body(backend)
                await close()
                group.cancelAll()
                return result
            } catch {
                await close()
                group.cancelAll()
                throw error
            }
        }
    }
}
