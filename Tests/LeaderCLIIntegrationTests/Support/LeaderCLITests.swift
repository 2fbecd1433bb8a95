import Testing

/// The integration tests of the `leader` executable: real processes on a real SQLite file.
///
/// Serialized: the failover and pause tests measure timing, which parallel load would distort.
@Suite(.serialized, .timeLimit(.minutes(3)))
enum LeaderCLITests {}
