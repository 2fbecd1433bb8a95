/// Makes object ids in the providers' styles: `pi_...`, `ch_...`, `req_...`, PayPal's upper-case ids.
enum SandboxIDs {
    private static let mixed = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    private static let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `prefix` followed by `length` random letters and digits.
    static func make(_ prefix: String, length: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        var id = prefix
        // Ten characters from each 64 random bits (62^10 < 2^64): each draw is a getrandom
        // system call, and the sandbox makes three ids per charge.
        var bits: UInt64 = 0
        for index in 0..<length {
            if index % 10 == 0 { bits = generator.next() }
            id.append(mixed[Int(bits % UInt64(mixed.count))])
            bits /= UInt64(mixed.count)
        }
        return id
    }

    /// A PayPal-style id: 17 upper-case letters and digits.
    static func payPal() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<17).map { _ in upper[Int(generator.next() % UInt64(upper.count))] })
    }
}
