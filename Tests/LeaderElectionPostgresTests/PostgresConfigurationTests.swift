import LeaderElection
import LeaderElectionPostgres
import Testing

@Suite("PostgreSQL store URLs")
struct PostgresConfigurationTests {
    @Test func fullURL() throws {
        let configuration = try PostgresConfiguration(url: "postgres://bill%40x:p%3Ass@db.example:6543/elections")
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "bill@x")
        #expect(configuration.password == "p:ss")
        #expect(configuration.database == "elections")
        #expect(!configuration.description.contains("p:ss"))
    }

    @Test func defaults() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://app@[::1]")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 5432)
        #expect(configuration.password == nil)
        #expect(configuration.database == nil)
    }

    @Test(arguments: [
        ("postgres://db:5432/x", "user"),
        ("postgres://u:secret@db:99999/x", "port"),
        ("postgres://u@:5432/x", "host"),
        ("postgres://u@db/x?sslmode=require", "options"),
        ("postgres:u@db/x", "//"),
    ])
    func rejects(url: String, mentioning word: String) throws {
        do {
            _ = try PostgresConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as ElectionError {
            #expect(error.code == .invalidStoreURL)
            #expect(error.message.contains(word), "\(error.message)")
            #expect(!error.message.contains("secret"))
        }
    }
}
