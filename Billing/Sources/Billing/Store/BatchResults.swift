/// Helpers for the batch writes of ``BillingStore``.
enum BatchResults {
    /// Runs `write` on each element in order and collects one result each. After a
    /// ``BillingError/Code/staleFencingToken`` the rest fail with the same error without being
    /// tried: a fence once stale stays stale.
    static func oneByOne<Element, Output>(
        _ elements: [Element],
        _ write: (Element) async throws -> Output
    ) async -> [Result<Output, any Error>] {
        var results: [Result<Output, any Error>] = []
        results.reserveCapacity(elements.count)
        var stale: (any Error)?
        for element in elements {
            if let stale {
                results.append(.failure(stale))
                continue
            }
            do {
                results.append(.success(try await write(element)))
            } catch {
                if (error as? BillingError)?.code == .staleFencingToken { stale = error }
                results.append(.failure(error))
            }
        }
        return results
    }
}
