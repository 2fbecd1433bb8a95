import Testing

@testable import ChaosHarness

@Suite struct WriteAuditTests {
    static func raise(_ sequence: Int64, to token: Int64, from previous: Int64?) -> WriteAudit.Entry {
        WriteAudit.Entry(
            sequence: sequence, table: "fences", operation: previous == nil ? "INSERT" : "UPDATE", writerToken: token, fenceToken: previous)
    }

    static func write(
        _ sequence: Int64, _ table: String = "charges", writer: Int64?, fence: Int64?, operation: String = "UPDATE"
    )
        -> WriteAudit.Entry
    {
        WriteAudit.Entry(
            sequence: sequence, table: table, operation: operation, subscriptionID: "sub_1", periodStartMs: 0, writerToken: writer,
            fenceToken: fence)
    }

    @Test func writesUnderTheFenceOfTheirMomentAreClean() {
        let findings = WriteAudit.check([
            Self.write(1, "subscriptions", writer: nil, fence: nil, operation: "INSERT"),
            Self.raise(2, to: 3, from: nil), Self.write(3, writer: 3, fence: 3), Self.write(4, "subscriptions", writer: 3, fence: 3),
            Self.raise(5, to: 5, from: 3), Self.write(6, writer: 5, fence: 5),
        ])
        #expect(findings.violations == [])
        #expect(findings.writesChecked == 3)
        #expect(findings.fenceRaises == 2)
    }

    @Test func aWriteUnderALowerTokenThanTheFenceIsAStaleWrite() {
        let findings = WriteAudit.check([
            Self.raise(1, to: 3, from: nil), Self.write(2, writer: 3, fence: 3), Self.raise(3, to: 4, from: 3),
            Self.write(4, writer: 3, fence: 4),
        ])
        #expect(findings.staleWrites == 1)
        #expect(findings.violations.count == 1)
        #expect(findings.violations.first?.contains("under token 3 while the fence was 4") == true)
    }

    @Test func aFenceThatGoesDownIsCaught() {
        let lowered = WriteAudit.check([Self.raise(1, to: 5, from: nil), Self.raise(2, to: 4, from: 5), Self.write(3, writer: 4, fence: 4)])
        #expect(lowered.fenceDecreases == 1)
        // A later write that saw a lower fence than an earlier one: the fence went down unseen.
        let unseen = WriteAudit.check([Self.write(1, writer: 5, fence: 5), Self.write(2, writer: 4, fence: 4)])
        #expect(unseen.fenceDecreases == 1)
    }

    @Test func aWriteAboveTheFenceOrWithoutOneIsCaught() {
        #expect(WriteAudit.check([Self.write(1, writer: 6, fence: 5)]).writesAboveFence == 1)
        #expect(WriteAudit.check([Self.write(1, writer: 6, fence: nil)]).writesAboveFence == 1)
    }

    @Test func anUpdateWithoutATokenCannotBeCheckedAndIsAViolation() {
        let findings = WriteAudit.check([Self.write(1, writer: 5, fence: 5), Self.write(2, "subscriptions", writer: nil, fence: 5)])
        #expect(findings.updatesWithoutToken == 1)
        #expect(findings.violations.count == 1)
    }

    @Test func aRecordWithoutEngineWritesIsABlindInstrument() {
        let findings = WriteAudit.check([Self.write(1, "subscriptions", writer: nil, fence: nil, operation: "INSERT")])
        #expect(findings.violations == ["the database's write audit recorded no engine write: the instrument saw nothing"])
    }

    @Test func psqlOutputIsParsedAndAMalformedRowIsAnError() throws {
        let entries = try WriteAudit.parse("1\tfences\tINSERT\t\t\t3\t\tnode-2\n2\tcharges\tUPDATE\tsub_1\t1700\t3\t3\t\n")
        #expect(entries.count == 2)
        #expect(
            entries[0].table == "fences" && entries[0].writerToken == 3 && entries[0].fenceToken == nil && entries[0].writer == "node-2")
        #expect(entries[1].subscriptionID == "sub_1" && entries[1].periodStartMs == 1700 && entries[1].fenceToken == 3)
        #expect(entries[1].writer == nil)
        #expect(throws: HarnessError.self) { try WriteAudit.parse("garbage") }
    }
}
