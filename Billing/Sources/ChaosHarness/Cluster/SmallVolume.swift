import Foundation
import Glibc

/// A small tmpfs mounted for the billing database's data directory, so that the harness can fill
/// it (`database-disk-full`) without touching the host's disks. Needs root.
final class SmallVolume: Sendable {
    let path: String
    private var fillers: [String] { ["\(path)/disk-full.filler", "\(path)/disk-full.rest"] }

    /// Whether volumes can be mounted here: root, and `mount`.
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") }

    /// Mounts a tmpfs of `megabytes` at `path` (created if needed), owned by `owner` with mode 0700,
    /// as PostgreSQL wants its data directory.
    init(path: String, megabytes: Int, owner: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard let account = getpwnam(owner) else { throw HarnessError("no user \(owner) to own \(path)") }
        let (uid, gid) = (account.pointee.pw_uid, account.pointee.pw_gid)
        try Shell.check(["/usr/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700,uid=\(uid),gid=\(gid)", "tmpfs", path])
    }

    /// The bytes still free on the volume.
    func freeBytes() -> UInt64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return 0 }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    /// Takes every free byte: one file as large as the free space, then another written until
    /// the volume refuses (whatever rounding left). Returns the bytes free afterwards.
    @discardableResult
    func fill() throws -> UInt64 {
        let free = freeBytes()
        if free > 0 { _ = try Shell.run(["/usr/bin/fallocate", "-l", String(free), fillers[0]]) }
        // dd ends with "No space left on device": its status says nothing more.
        _ = try Shell.run(["/usr/bin/dd", "if=/dev/zero", "of=\(fillers[1])", "bs=4096", "status=none"])
        return freeBytes()
    }

    /// Gives the space back.
    func drain() {
        for filler in fillers { try? FileManager.default.removeItem(atPath: filler) }
    }

    /// Detaches the volume (lazily: a server still running keeps it until it exits).
    func unmount() {
        _ = try? Shell.run(["/usr/bin/umount", "-l", path])
    }
}
