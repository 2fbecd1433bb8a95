import LeaderElection

/// An open store: the backend to use and how to close it.
struct ConnectedStore: Sendable {
    /// The backend the URL selected.
    let backend: any ElectionBackend
    /// The URL it was opened from (for messages).
    let url: StoreURL
    private let closeBody: @Sendable () async -> Void

    /// Wraps `backend`; `close` releases its resources.
    init(backend: any ElectionBackend, url: StoreURL, close: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.url = url
        self.closeBody = close
    }

    /// Releases the backend's resources. Call once, after the last use.
    func close() async { await closeBody() }

    /// Runs `body` with this store, closing it afterwards whatever happens.
    func use<T: Sendable>(_ body: (any ElectionBackend) async throws -> T) async throws -> T {
        do {
            let result = try await body(backend)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
