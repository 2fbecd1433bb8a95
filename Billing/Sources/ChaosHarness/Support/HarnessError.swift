/// A failure of the harness itself (not a violation found in a run): it says what went wrong and what to do.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
