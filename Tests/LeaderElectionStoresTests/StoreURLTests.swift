import LeaderElection
import LeaderElectionStores
import Testing

@Suite("Store URLs")
struct StoreURLTests {
    @Test(arguments: [
        ("sqlite:/tmp/x.db", "sqlite", "/tmp/x.db"),
        ("etcd://127.0.0.1:2379,127.0.0.1:22379", "etcd", "127.0.0.1:2379,127.0.0.1:22379"),
        ("SQLite:relative.db", "sqlite", "relative.db"),
    ])
    func storeURLsParse(text: String, scheme: String, location: String) throws {
        let url = try StoreURL(text)
        #expect(url.scheme == scheme)
        #expect(url.location == location)
    }

    @Test(arguments: ["", "no-scheme", "sqlite:", "etcd://", ":path"])
    func badStoreURLsAreRejected(text: String) {
        #expect {
            try StoreURL(text)
        } throws: { error in
            guard let error = error as? ElectionError else { return false }
            // The message shows what was given and every accepted form.
            return error.code == .invalidStoreURL && error.message.contains("'\(text)'")
                && error.message.contains(ElectionStore.acceptedForms)
        }
    }
}
