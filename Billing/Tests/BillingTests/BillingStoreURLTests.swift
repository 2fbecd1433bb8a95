import Billing
import Testing

struct BillingStoreURLTests {
    @Test func sqlite() throws {
        #expect(try BillingStoreURL("sqlite:/tmp/billing.sqlite") == .sqlite(path: "/tmp/billing.sqlite"))
        #expect(try BillingStoreURL("sqlite://relative.db") == .sqlite(path: "relative.db"))
    }

    @Test func postgres() throws {
        guard case .postgres(let configuration) = try BillingStoreURL("postgres://bill%40ing:p%3Ass@db.internal:6543/ledger") else {
            Issue.record("not a PostgreSQL URL")
            return
        }
        #expect(configuration.username == "bill@ing")
        #expect(configuration.password == "p:ss")
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 6543)
        #expect(configuration.database == "ledger")
        #expect(!configuration.description.contains("p:ss"), "the password is never printed")
        let defaults = try PostgresBillingStore.Configuration(url: "postgresql://u@[::1]")
        #expect(defaults.host == "::1")
        #expect(defaults.port == 5432)
        #expect(defaults.database == nil)
    }

    @Test(arguments: [
        "", "sqlite:", "mysql://u@h/db", "postgres://host/db", "postgres://u@h:99999/db", "postgres://u@h/db?sslmode=require",
        "postgres://u:%zz@h/db",
    ])
    func rejects(text: String) {
        let error = #expect(throws: BillingError.self) { try BillingStoreURL(text) }
        #expect(error?.code == .invalidStoreURL)
    }

    @Test func messagesHideThePassword() {
        let error = #expect(throws: BillingError.self) { try BillingStoreURL("postgres://u:secret@h:1/db?x=1") }
        #expect(error.map { !$0.message.contains("secret") } ?? false)
    }
}
