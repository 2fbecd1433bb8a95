import LeaderElection
import Testing

@testable import Billing

@Suite struct FencePredicateTests {
    /// The no-fencing control's statements differ from the real ones in the fence predicate only:
    /// every `token = $N` that compares the stored fence becomes `token >= $N`, and nothing else.
    @Test func theControlsStatementsRelaxOnlyTheFencePredicate() {
        let record = RenewalRecord(
            subscriptionID: "s", periodStart: Timestamp(millisecondsSinceEpoch: 0),
            charge: ChargeUpdate(idempotencyKey: "k", status: .succeeded, providerReference: "pi_1"), subscription: nil)
        let statements: [any SQLPreparedText.Type] = [
            BatchStatements.BeginCharges.self, BatchStatements.RecordRenewals.self, RenewalStatement(record)!.text,
        ]
        for statement in statements {
            let relaxed = SQLLedger.fenced(statement)
            #expect(relaxed.name == statement.name, "the real statement is used while the predicate is in place")
            let variant = Self.withoutPredicate(statement)
            #expect(variant.name == "nofence_" + statement.name)
            #expect(variant.sql != statement.sql, "\(statement.name) has a fence predicate to relax")
            #expect(variant.sql.replacing(">= $", with: "= $") == statement.sql, "\(statement.name): only the comparison changed")
        }
    }

    static func withoutPredicate<Statement: SQLPreparedText>(_ statement: Statement.Type) -> any SQLPreparedText.Type {
        WithoutFencePredicate<Statement>.self
    }
}
