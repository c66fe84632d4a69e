import Foundation

/// Per-client bounds, so one script cannot take every worker, queue slot or training slot:
/// requests in flight per client address (past the bound: 429 with `Retry-After`) and training
/// jobs queued or running per client. A client is its IP address (the port dropped).
final class ClientLimits: @unchecked Sendable {
    let maxRequests: Int
    let maxJobs: Int
    private let lock = NSLock()
    private var inFlight: [String: Int] = [:]
    private var jobOwners: [String: String] = [:]   // job id → client

    init(maxRequests: Int, maxJobs: Int) { (self.maxRequests, self.maxJobs) = (maxRequests, maxJobs) }

    /// "10.0.0.7:51234" → "10.0.0.7", "[::1]:8080" → "::1"; anything else as it is.
    static func client(of remoteAddress: String) -> String {
        if remoteAddress.hasPrefix("["), let end = remoteAddress.firstIndex(of: "]") {
            return String(remoteAddress[remoteAddress.index(after: remoteAddress.startIndex)..<end])
        }
        let parts = remoteAddress.split(separator: ":")
        return parts.count == 2 ? String(parts[0]) : remoteAddress
    }

    /// Counts a request in; false (and nothing counted) when the client is at its bound.
    func enter(_ client: String) -> Bool {
        lock.withLock {
            guard inFlight[client, default: 0] < maxRequests else { return false }
            inFlight[client, default: 0] += 1
            return true
        }
    }

    func leave(_ client: String) {
        lock.withLock {
            let n = inFlight[client, default: 0] - 1
            inFlight[client] = n > 0 ? n : nil
        }
    }

    func requestsInFlight(_ client: String) -> Int { lock.withLock { inFlight[client, default: 0] } }

    func recordJob(_ id: String, client: String) { lock.withLock { jobOwners[id] = client } }

    /// Whether `client` may start another job, given the ids of the jobs still queued or running.
    func mayStartJob(_ client: String, activeJobs: [String]) -> Bool {
        lock.withLock {
            let active = Set(activeJobs)
            jobOwners = jobOwners.filter { active.contains($0.key) }   // forget finished jobs
            return jobOwners.values.filter { $0 == client }.count < maxJobs
        }
    }
}
