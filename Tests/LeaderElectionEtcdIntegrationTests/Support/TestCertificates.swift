import Foundation
import TestSupport

/// A throwaway certificate authority with a server certificate for 127.0.0.1 and a client
/// certificate, made with openssl for a TLS test.
struct TestCertificates: Sendable {
    let ca: String
    let serverCertificate: String
    let serverKey: String
    let clientCertificate: String
    let clientKey: String

    /// Writes the files into `directory`.
    static func make(in directory: String) async throws -> TestCertificates {
        guard let openssl = EtcdBinaries.find("openssl") else {
            throw TestFailure("openssl is needed to make test certificates: apt-get install -y openssl")
        }
        func path(_ name: String) -> String { "\(directory)/\(name)" }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: path("client.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509"] + key + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=leader-election-test-ca",
            ],
            ["req"] + key + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext"),
            ],
            ["req"] + key + ["-keyout", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=root"],
            [
                "x509", "-req", "-in", path("client.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                "-out", path("client.pem"), "-days", "2", "-extfile", path("client.ext"),
            ],
        ]
        for step in steps {
            let result = try await TestProcess.run(openssl, step)
            guard result.status == 0 else { throw TestFailure("openssl \(step.joined(separator: " ")) failed: \(result.output)") }
        }
        return TestCertificates(
            ca: path("ca.pem"), serverCertificate: path("server.pem"), serverKey: path("server.key"),
            clientCertificate: path("client.pem"), clientKey: path("client.key")
        )
    }
}
