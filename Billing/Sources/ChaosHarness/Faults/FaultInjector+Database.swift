extension FaultInjector {
    /// `database-disk-full`: the billing database's volume filled to the last byte for 3 × TTL.
    func fillDatabaseDisk() async throws -> FaultRecord {
        var record = FaultRecord(
            kind: .databaseDiskFull, target: "postgres", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        guard let volume = cluster.databaseVolume, let postgres = cluster.database.server else {
            throw HarnessError("database-disk-full needs the billing database on a volume of its own (PostgreSQL, the harness as root)")
        }
        // A new table of about 2 MB needs new space: the server creates it before, and cannot during.
        let probe = """
            CREATE TABLE disk_full_probe AS SELECT repeat('x', 1000) AS filler FROM generate_series(1, 2000);
            DROP TABLE disk_full_probe
            """
        let before = (try? postgres.query(probe)) != nil
        let left = try volume.fill()
        var refusal = ""
        do {
            try postgres.query(probe)
        } catch {
            refusal = "\(error)"
        }
        if before, refusal.contains("No space left on device") { record.confirmedMs = now() }
        try await Task.sleep(for: ttl * 3)
        volume.drain()
        // A server that ran out of room for its write-ahead log stops (PANIC) and may not come back
        // by itself: start it again then, as its supervisor would.
        let gone = postgres.process.reapIfFailed() != nil
        if gone { try postgres.process.start() }
        try await postgres.waitUntilReady()
        record.endMs = now()
        record.detail =
            "the billing database's volume full (\(left) bytes left; creating a table \(before ? "worked" : "failed") before, during: \(refusal.isEmpty ? "it worked" : "refused")) for 3 × TTL, then freed\(gone ? "; PostgreSQL had stopped and was started again" : "")"
        return record
    }
}
