import Testing

@testable import PaymentSandbox

@Suite("The sandbox's subset of Stripe's search query language")
struct StripeSearchQueryTests {
    @Test("metadata clauses with either quote, escapes, AND, bare words for plain fields")
    func parses() throws {
        let query = try StripeSearchQuery(
            parsing: #"metadata['idempotency_key']:'a\'b"c' AND metadata["k"]:"x\"y" status:succeeded currency:'USD'"#)
        #expect(
            query.clauses == [
                .init(field: .metadata("idempotency_key"), value: #"a'b"c"#),
                .init(field: .metadata("k"), value: #"x"y"#),
                .init(field: .status, value: "succeeded"),
                .init(field: .currency, value: "USD"),
            ]
        )
    }

    @Test(
        "what the sandbox does not model is refused, not ignored",
        arguments: [
            "", "amount>100", "metadata['k']:'v' OR status:'succeeded'", "-status:'succeeded'", "metadata['k']:v",
            "metadata['k':'v'", "metadata['k']:'v", "status~'succ'", "status",
        ])
    func refuses(text: String) {
        #expect(throws: StripeSearchQuery.Unsupported.self) { try StripeSearchQuery(parsing: text) }
    }
}
