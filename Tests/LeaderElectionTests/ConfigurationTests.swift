import LeaderElection
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test func defaultsAreDocumentedValues() {
        let configuration = Election.Configuration.default
        #expect(configuration.leaseTTL == .seconds(5))
        #expect(configuration.renewInterval == .seconds(5) / 3)
        #expect(configuration.safetyMargin == .milliseconds(500))
        #expect(configuration.leadershipWindow == .milliseconds(4500))
    }

    @Test(arguments: [
        (Duration.milliseconds(5), nil as Duration?, nil as Duration?, "leaseTTL"),
        (.seconds(5), .zero, nil, "renewInterval"),
        (.seconds(5), .seconds(3), nil, "renewInterval"),
        (.seconds(5), nil, .seconds(5), "safetyMargin"),
        (.seconds(5), nil, .milliseconds(-1), "safetyMargin"),
    ])
    func invalidValuesAreRejectedWithAnActionableMessage(ttl: Duration, renew: Duration?, margin: Duration?, field: String) {
        #expect {
            try Election.Configuration(leaseTTL: ttl, renewInterval: renew, safetyMargin: margin)
        } throws: { error in
            guard let error = error as? ElectionError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(field)
        }
    }

    @Test func invalidBackoffIsRejected() {
        #expect(throws: ElectionError.self) {
            try Election.Configuration(retryBackoff: RetryBackoff(initial: .zero))
        }
    }

    @Test func backoffDoublesUpToTheMaximum() {
        let backoff = RetryBackoff(initial: .milliseconds(50), maximum: .seconds(1), multiplier: 2)
        #expect((1...7).map { backoff.delay(attempt: $0) } == [50, 100, 200, 400, 800, 1000, 1000].map { Duration.milliseconds($0) })
    }
}
