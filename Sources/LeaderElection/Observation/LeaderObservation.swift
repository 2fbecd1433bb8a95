/// The leader of an election now and after each change; `nil` while there is none.
///
/// Produced by ``Election/observe()``. Consecutive elements differ. The sequence ends with an
/// error when the store cannot be watched any longer.
public struct LeaderObservation: AsyncSequence, Sendable {
    public typealias Element = Candidacy?
    public typealias Failure = any Error

    private let stream: AsyncThrowingStream<Candidacy?, any Error>

    /// Wraps a backend's watch stream.
    public init(_ stream: AsyncThrowingStream<Candidacy?, any Error>) {
        self.stream = stream
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator())
    }

    /// Iterates the observation.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Candidacy?, any Error>.Iterator

        public mutating func next() async throws -> Candidacy?? {
            try await base.next()
        }
    }
}
