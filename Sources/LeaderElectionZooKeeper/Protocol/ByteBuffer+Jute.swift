import NIOCore

/// Jute, ZooKeeper's serialization: big-endian integers, a boolean as one byte, a buffer or
/// string as an `Int32` length (-1 for null) and its bytes, a vector as an `Int32` count and its
/// elements.
extension ByteBuffer {
    mutating func writeJuteInt(_ value: Int32) { writeInteger(value, endianness: .big) }
    mutating func writeJuteLong(_ value: Int64) { writeInteger(value, endianness: .big) }
    mutating func writeJuteBool(_ value: Bool) { writeInteger(value ? UInt8(1) : UInt8(0)) }

    mutating func writeJuteBuffer(_ bytes: [UInt8]?) {
        guard let bytes else { return writeJuteInt(-1) }
        writeJuteInt(Int32(bytes.count))
        writeBytes(bytes)
    }

    mutating func writeJuteString(_ string: String) {
        writeJuteBuffer(Array(string.utf8))
    }

    mutating func readJuteInt() throws -> Int32 {
        guard let value = readInteger(endianness: .big, as: Int32.self) else { throw ZooKeeperFailure.malformed("an int") }
        return value
    }

    mutating func readJuteLong() throws -> Int64 {
        guard let value = readInteger(endianness: .big, as: Int64.self) else { throw ZooKeeperFailure.malformed("a long") }
        return value
    }

    mutating func readJuteBool() throws -> Bool {
        guard let value = readInteger(as: UInt8.self) else { throw ZooKeeperFailure.malformed("a boolean") }
        return value != 0
    }

    mutating func readJuteBuffer() throws -> [UInt8]? {
        let length = try readJuteInt()
        guard length >= 0 else { return nil }
        guard let bytes = readBytes(length: Int(length)) else { throw ZooKeeperFailure.malformed("a buffer of \(length) bytes") }
        return bytes
    }

    mutating func readJuteString() throws -> String? {
        try readJuteBuffer().map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func readJuteStringVector() throws -> [String] {
        let count = try readJuteInt()
        guard count > 0 else { return [] }
        var strings: [String] = []
        strings.reserveCapacity(Int(count))
        for _ in 0..<count { strings.append(try readJuteString() ?? "") }
        return strings
    }
}
