import Foundation

/// Counters and histograms exported at `GET /metrics` in the Prometheus text format (0.0.4).
final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int] = [:]          // "route|status" → count
    private var latency = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    private var inference = Histogram(bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])

    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var total = 0
        init(bounds: [Double]) { self.bounds = bounds; counts = Array(repeating: 0, count: bounds.count) }
        mutating func observe(_ v: Double) {
            for (i, b) in bounds.enumerated() where v <= b { counts[i] += 1 }   // cumulative buckets
            sum += v
            total += 1
        }
        func render(_ name: String, into out: inout String) {
            out += "# TYPE \(name) histogram\n"
            for (i, b) in bounds.enumerated() { out += "\(name)_bucket{le=\"\(b)\"} \(counts[i])\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(total)\n\(name)_sum \(sum)\n\(name)_count \(total)\n"
        }
    }

    func recordRequest(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests["\(route)|\(status)", default: 0] += 1
        latency.observe(seconds)
    }

    func recordInference(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        inference.observe(seconds)
    }

    func render(queueDepth: Int, running: Int, queueCapacity: Int,
                statisticsCaches: [(model: String, hits: Int, misses: Int, entries: Int)] = []) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = "# HELP atelier_http_requests_total HTTP requests by route and status.\n# TYPE atelier_http_requests_total counter\n"
        for key in requests.keys.sorted() {
            let parts = key.split(separator: "|")
            out += "atelier_http_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(requests[key]!)\n"
        }
        out += "# HELP atelier_http_request_duration_seconds Time from request parsed to response ready.\n"
        latency.render("atelier_http_request_duration_seconds", into: &out)
        out += "# HELP atelier_inference_seconds Time spent in the network per stylization.\n"
        inference.render("atelier_inference_seconds", into: &out)
        out += "# HELP atelier_queue_depth Stylization jobs waiting for a worker.\n# TYPE atelier_queue_depth gauge\natelier_queue_depth \(queueDepth)\n"
        out += "# HELP atelier_jobs_running Stylization jobs running now.\n# TYPE atelier_jobs_running gauge\natelier_jobs_running \(running)\n"
        out += "# HELP atelier_queue_capacity Queue length beyond which requests get 503.\n# TYPE atelier_queue_capacity gauge\natelier_queue_capacity \(queueCapacity)\n"
        if !statisticsCaches.isEmpty {
            out += "# HELP atelier_style_statistics_cache_hits_total Paintings whose style statistics came from the cache.\n# TYPE atelier_style_statistics_cache_hits_total counter\n"
            for c in statisticsCaches { out += "atelier_style_statistics_cache_hits_total{model=\"\(c.model)\"} \(c.hits)\n" }
            out += "# HELP atelier_style_statistics_cache_misses_total Paintings run through the style encoder.\n# TYPE atelier_style_statistics_cache_misses_total counter\n"
            for c in statisticsCaches { out += "atelier_style_statistics_cache_misses_total{model=\"\(c.model)\"} \(c.misses)\n" }
            out += "# HELP atelier_style_statistics_cache_entries Paintings whose statistics are cached.\n# TYPE atelier_style_statistics_cache_entries gauge\n"
            for c in statisticsCaches { out += "atelier_style_statistics_cache_entries{model=\"\(c.model)\"} \(c.entries)\n" }
        }
        return out
    }
}
