import NIOCore

/// Splits the byte stream into ZooKeeper's frames: a 4-byte big-endian length, then that many bytes.
struct ZooKeeperFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Larger frames are refused: an election never reads anything near this (jute's own default
    /// limit is about 1 MB).
    static let maximumFrameLength: Int32 = 16 << 20

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else { return .needMoreData }
        guard length >= 0, length <= Self.maximumFrameLength else {
            throw ZooKeeperFailure.malformed("a frame length (\(length))")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
