/// Caches PayPal's OAuth2 access token and makes concurrent callers share one fetch.
actor PayPalAccessTokens {
    /// A token and the instant after which it is no longer used.
    struct Token: Sendable {
        var value: String
        var refreshAt: ContinuousClock.Instant
    }

    private enum State {
        case empty
        case fetching(waiters: [CheckedContinuation<String, any Error>])
        case cached(Token)
    }

    private var state: State = .empty
    private let clock = ContinuousClock()

    /// The cached token, or a fresh one from `fetch` (one fetch at a time; others wait for it).
    func token(fetch: @Sendable () async throws -> Token) async throws -> String {
        switch state {
        case .cached(let token) where clock.now < token.refreshAt:
            return token.value
        case .fetching(let waiters):
            return try await withCheckedThrowingContinuation { continuation in
                state = .fetching(waiters: waiters + [continuation])
            }
        case .empty, .cached:
            state = .fetching(waiters: [])
            let result: Result<Token, any Error>
            do {
                result = .success(try await fetch())
            } catch {
                result = .failure(error)
            }
            guard case .fetching(let waiters) = state else { preconditionFailure("token fetch state lost") }
            switch result {
            case .success(let token):
                state = .cached(token)
                for waiter in waiters { waiter.resume(returning: token.value) }
                return token.value
            case .failure(let error):
                state = .empty
                for waiter in waiters { waiter.resume(throwing: error) }
                throw error
            }
        }
    }

    /// Forgets `value` if it is the cached token (PayPal rejected it).
    func invalidate(_ value: String) {
        if case .cached(let token) = state, token.value == value { state = .empty }
    }
}
