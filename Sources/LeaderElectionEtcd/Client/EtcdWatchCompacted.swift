/// etcd cancelled a watch because the revision it was to start from has been compacted away.
///
/// Not a failure of the member, which answered: the events after the caller's read are gone, so
/// the caller reads again (at a newer revision) and watches from there. ``EtcdClient/stream(_:_:)``
/// passes it on as it is, without moving to another member.
struct EtcdWatchCompacted: Error, CustomStringConvertible {
    /// The watch, for messages ("watch of the leader of election billing").
    let what: String
    /// The oldest revision the member still keeps.
    let compactRevision: Int64

    var description: String {
        "etcd cancelled the \(what): its start revision was compacted (oldest kept: \(compactRevision)); read again"
    }
}
