import Logging

/// A billing store URL: `sqlite:PATH` (the embedded default) or
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
public enum BillingStoreURL: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresBillingStore.Configuration)

    /// Parses `text`.
    /// - Throws: ``BillingError/Code/invalidStoreURL`` showing the accepted forms.
    public init(_ text: String) throws(BillingError) {
        if text.hasPrefix("sqlite:") {
            var path = text.dropFirst("sqlite:".count)
            if path.hasPrefix("//") { path = path.dropFirst(2) }
            guard !path.isEmpty else {
                throw BillingError(code: .invalidStoreURL, message: "billing store URL '\(text)' names no file; expected sqlite:PATH")
            }
            self = .sqlite(path: String(path))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresBillingStore.Configuration(url: text))
        } else {
            throw BillingError(
                code: .invalidStoreURL,
                message:
                    "billing store URL '\(PostgresBillingStore.Configuration.redacted(text))' names no known database; expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        }
    }

    /// Opens the store (migrating its schema), runs `body` with it, and closes it afterwards.
    public func withStore<Result: Sendable>(logger: Logger, _ body: (any BillingStore) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite(let path):
            let store = try await SQLiteBillingStore.open(path: path, logger: logger)
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        case .postgres(let configuration):
            return try await PostgresBillingStore.withStore(configuration: configuration, logger: logger) { try await body($0) }
        }
    }

    /// The URL, without any password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let configuration): configuration.displayName
        }
    }
}
