import LeaderElection
import Logging
import PostgresNIO

extension PostgresBackend {
    /// Runs `body` in one transaction on a pooled connection (after creating the schema if this
    /// backend has not yet), retrying deadlocks and serialization failures, within
    /// ``PostgresConfiguration/requestTimeout``.
    func transaction<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (ElectionTransaction) async throws -> T
    ) async throws -> T {
        try await prepareSchema()
        let logger = self.logger
        return try await withinTimeout(what) {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await self.client.withTransaction(logger: logger) { connection in
                        try await body(ElectionTransaction(connection: connection, logger: logger))
                    }
                } catch {
                    if attempt < 3, PostgresFailure.isRetryable(error) {
                        try Task.checkCancellation()
                        continue
                    }
                    throw PostgresFailure.map(error, server: self.configuration.description)
                }
            }
        }
    }

    /// Runs `body` (single statements, no transaction) on a pooled connection within
    /// ``PostgresConfiguration/requestTimeout``.
    func statement<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable (ElectionTransaction) async throws -> T
    ) async throws -> T {
        try await prepareSchema()
        let logger = self.logger
        return try await withinTimeout(what) {
            do {
                return try await self.client.withConnection { connection in
                    try await body(ElectionTransaction(connection: connection, logger: logger))
                }
            } catch {
                throw PostgresFailure.map(error, server: self.configuration.description)
            }
        }
    }

    /// Waits until ``PostgresBackend/run()`` runs the pool, for at most the request timeout.
    private func waitUntilRunning() async throws {
        let deadline = clock.now() + configuration.requestTimeout
        while true {
            let version = runningChanged.version
            if running.withLock({ $0 }) { return }
            try Task.checkCancellation()
            guard clock.now() < deadline else {
                throw ElectionError.invalidConfiguration(
                    "PostgresBackend.run() is not running, so its connections are not served; run the backend in a ServiceGroup or use PostgresBackend.withBackend"
                )
            }
            await runningChanged.wait(after: version, orUntil: deadline, clock: clock)
        }
    }

    /// Creates or upgrades the tables once per backend.
    private func prepareSchema() async throws {
        try await waitUntilRunning()
        if schemaReady.withLock({ $0 }) { return }
        let logger = self.logger
        let server = configuration.description
        try await withinTimeout("creating the election tables") {
            do {
                try await self.client.withTransaction(logger: logger) { connection in
                    try await PostgresSchema.migrate(connection, server: server, logger: logger)
                }
            } catch {
                throw PostgresFailure.map(error, server: server)
            }
        }
        schemaReady.withLock { $0 = true }
    }

    /// Runs `body`, failing with `ElectionError.Code.storeUnavailable` when it takes longer
    /// than ``PostgresConfiguration/requestTimeout`` (the pool waits for a connection forever),
    /// and returning at once when the caller is cancelled. A query on a connection the server or
    /// a partition cut off may ignore cancellation; it is abandoned, not awaited, so that every
    /// operation keeps the backend contract's promise to return promptly.
    private func withinTimeout<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = configuration.requestTimeout
        let message =
            "PostgreSQL at \(configuration.description) did not answer within \(limit) while \(what); check that the server runs and that the URL's host and port are right"
        return try await AbandonableCall.run(
            timer: { @Sendable () async throws -> any Error in
                try await Task.sleep(for: limit)
                return ElectionError.storeUnavailable(message)
            },
            body
        )
    }

    /// Keeps a connection listening on the election channel and routes what arrives; reconnects
    /// with backoff when it breaks, waking every waiter (notifications may have been missed).
    func listenForChanges() async {
        var connectionConfiguration = PostgresConnection.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: .disable
        )
        connectionConfiguration.options.connectTimeout = .nanoseconds(configuration.requestTimeout.clampedNanoseconds)
        var delay = Duration.milliseconds(50)
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: connectionConfiguration, id: connectionID, logger: logger)
                let router = self.router
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: PostgresSchema.channel) { notifications in
                            router.wakeAll()
                            for try await notification in notifications {
                                router.deliver(payload: notification.payload)
                            }
                        }
                    } onCancel: {
                        let _: EventLoopFuture<Void> = connection.close()
                    }
                    delay = .milliseconds(50)
                } catch {
                    if !Task.isCancelled {
                        logger.debug("the PostgreSQL notification connection broke", metadata: ["error": "\(error)"])
                    }
                }
                try? await connection.close()
            } catch {
                if !Task.isCancelled {
                    logger.debug("could not open the PostgreSQL notification connection", metadata: ["error": "\(error)"])
                }
            }
            router.wakeAll()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }
}

extension Duration {
    /// The duration in nanoseconds, clamped to `Int64`.
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds < Int64.max / 1_000_000_000 else { return .max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
