import Glibc
import ServiceLifecycle

/// Returns when the process that started this one is gone (the demo was killed), so that a
/// demo's nodes never outlive it; returning shuts the node down gracefully.
struct ParentWatch: Service {
    let parentPID: Int32

    func run() async throws {
        let parentPID = self.parentPID
        await cancelWhenGracefulShutdown {
            while getppid() == parentPID {
                guard (try? await Task.sleep(for: .milliseconds(250))) != nil else { return }
            }
        }
    }
}
