import Glibc

/// Reads a child's output pipe (``ChildProcess/outputPipe``) to its end on the calling thread,
/// then closes it. Meant for a thread of its own: each read blocks.
public enum PipeReader {
    /// Hands over each chunk as it is read.
    public static func readChunks(from descriptor: Int32, _ body: ([UInt8]) -> Void) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            body(Array(chunk[..<count]))
        }
        close(descriptor)
    }

    /// Hands over the complete lines (without the newline) of each chunk as it is read, so that
    /// a caller can time their arrival; a last line without a newline is dropped.
    public static func readLines(from descriptor: Int32, _ body: ([String]) -> Void) {
        var buffer: [UInt8] = []
        readChunks(from: descriptor) { chunk in
            buffer += chunk
            var lines: [String] = []
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
            if !lines.isEmpty { body(lines) }
        }
    }
}
