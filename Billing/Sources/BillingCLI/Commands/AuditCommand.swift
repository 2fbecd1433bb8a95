import ArgumentParser
import AsyncHTTPClient
import Billing
import BillingNode
import Foundation
import PaymentSandbox

/// `billing audit`: the charge ledger of a database, checked against a sandbox's ledger.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit the charges in a billing database, against a payment sandbox's ledger when given.",
        discussion: """
            Renewals counted as due: every period with a charge row, and every active or past-due \
            subscription due now. With --sandbox, each is looked up in the sandbox's ledger: \
            charged once, charged twice (double), or never (missed). Exits 1 on a double or missed charge.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The payment sandbox's base URL, e.g. http://127.0.0.1:12111.")
    var sandbox: String?

    func run() async throws {
        let (charges, overdue) = try await options.withStore { store in
            let now = try await store.currentTime()
            return (try await store.allCharges(), try await store.dueSubscriptions(at: now, after: nil, limit: 100_000))
        }
        var byStatus: [String: Int] = [:]
        for charge in charges { byStatus[charge.status.rawValue, default: 0] += 1 }
        let inReview = charges.filter { $0.reviewReason != nil }
        guard let sandbox else {
            if options.json {
                try JSONOutput.print(
                    ["charges": charges.count, "overdue": overdue.count, "needs_review": inReview.count].merging(byStatus) { a, _ in a })
            } else {
                print(
                    "charges \(charges.count): "
                        + byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print("subscriptions due now and not yet renewed: \(overdue.count)")
                print("charges that need review: \(inReview.count)\(inReview.isEmpty ? "" : " (`billing charges review` lists them)")")
                for charge in inReview.prefix(20) { print("  " + ChargeReviewRow(charge).line) }
                print("(pass --sandbox URL to check every charge against the provider's ledger)")
            }
            return
        }
        let ledger = try await Self.fetchLedger(sandbox)
        var due = Set(charges.map { RenewalID(subscriptionID: $0.subscriptionID, periodStart: $0.periodStart.iso8601) })
        for row in overdue where row.status == "active" {
            due.insert(RenewalID(subscriptionID: row.id, periodStart: row.currentPeriodEnd.iso8601))
        }
        let audit = ChargeAudit(dueRenewals: due, ledger: ledger, charges: charges)
        if options.json { try JSONOutput.print(audit) } else { print(audit.summary) }
        if !audit.isClean { throw ExitCode(1) }
    }

    /// `GET sandbox/sandbox/ledger`.
    static func fetchLedger(_ base: String) async throws -> [LedgerEntry] {
        struct Body: Decodable { var entries: [LedgerEntry] }
        let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/sandbox/ledger"
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else {
                throw CLIError("the sandbox at \(base) answered \(response.status) for /sandbox/ledger; is it a payment sandbox?")
            }
            let body = try await response.body.collect(upTo: 512 << 20)
            return try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)).entries
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot read the ledger from \(url) (\(error)); check that 'billing sandbox' runs there")
        }
    }
}
