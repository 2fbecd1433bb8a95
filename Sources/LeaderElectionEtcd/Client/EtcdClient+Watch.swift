import GRPCCore
import LeaderElection

extension EtcdClient {
    /// Opens one `Watch` stream with the given watchers and returns the first value `accept`
    /// makes of a response; the stream is closed then.
    ///
    /// A watch whose start revision was compacted fails with ``EtcdWatchCompacted``: read again.
    ///
    /// While it waits, it asks the member for a progress notification every
    /// ``EtcdConfiguration/watchProgressInterval``; when nothing arrives for that interval plus
    /// the request timeout, the member is taken as stuck and the watch fails with
    /// `ElectionError.Code.storeUnavailable` (the caller reads again and watches on another member).
    func watch<Result: Sendable>(
        _ what: String,
        _ watchers: [Etcdserverpb_WatchCreateRequest],
        until accept: @escaping @Sendable (Etcdserverpb_WatchResponse) throws -> Result?
    ) async throws -> Result {
        let progressInterval = configuration.watchProgressInterval
        let silenceLimit = configuration.watchProgressInterval + configuration.requestTimeout
        return try await stream(what) { grpc, metadata, options in
            let (outgoing, writer) = AsyncStream<Etcdserverpb_WatchRequest>.makeStream()
            for watcher in watchers { writer.yield(.with { $0.createRequest = watcher }) }
            defer { writer.finish() }
            return try await Etcdserverpb_Watch.Client(wrapping: grpc).watch(
                metadata: metadata,
                options: options,
                requestProducer: { requests in
                    for await request in outgoing { try await requests.write(request) }
                },
                onResponse: { response in
                    defer { writer.finish() }
                    let detector = SilenceDetector()
                    return try await withThrowingTaskGroup(of: Result?.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: progressInterval)
                                let silence = detector.silence
                                if silence > silenceLimit {
                                    throw ElectionError.storeUnavailable("the etcd member sent nothing on the \(what) for \(silence)")
                                }
                                writer.yield(.with { $0.progressRequest = Etcdserverpb_WatchProgressRequest() })
                            }
                        }
                        group.addTask {
                            for try await message in response.messages {
                                detector.heard()
                                if message.canceled {
                                    if message.compactRevision > 0 {
                                        throw EtcdWatchCompacted(what: what, compactRevision: message.compactRevision)
                                    }
                                    // A watch created with an expired token is refused this way.
                                    if message.cancelReason.contains("permission denied") { self.invalidateToken() }
                                    throw ElectionError.storeUnavailable("etcd cancelled the \(what): \(message.cancelReason)")
                                }
                                if let result = try accept(message) { return result }
                            }
                            throw ElectionError.storeUnavailable("etcd ended the \(what)")
                        }
                        defer { group.cancelAll() }
                        while let next = try await group.next() {
                            if let next { return next }
                        }
                        throw CancellationError()
                    }
                }
            )
        }
    }
}
