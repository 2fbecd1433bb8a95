/// A slow, lossy link, as a TCP proxy can show one: every chunk it relays waits `latency`, and a
/// share of them (`lossRate`) waits `retransmission` more, as a lost segment waits for TCP to send
/// it again. Bytes are never dropped (the stream would break); order is kept.
struct LinkImpairment: Sendable, Equatable {
    var latency: Duration
    var lossRate: Double
    var retransmission: Duration

    /// 150 ms each way, and a tenth of the chunks 400 ms more.
    static let slowAndLossy = LinkImpairment(latency: .milliseconds(150), lossRate: 0.1, retransmission: .milliseconds(400))

    /// How long one chunk waits, given a uniform draw in 0..<1.
    func delay(draw: Double) -> Duration {
        latency + (draw < lossRate ? retransmission : .zero)
    }
}
