import Foundation
import HTTP
import Postgres

/// The HTTP face of the service: routes requests to handlers, turns `APIError`s into JSON
/// responses and records metrics. Owns the worker pool; knows nothing about sockets.
public final class AtelierService: @unchecked Sendable {
    let config: ServiceConfig
    let registry: ModelRegistry
    let pool: WorkerPool
    /// Training jobs: this process's queue, or the shared database's (with a shared store).
    let jobs: JobQueue
    /// Styles users added (`POST /styles`), of every model: in the data folder, or in the
    /// database `config.storeURL` names.
    let store: StyleRepository
    /// Learning new StyleBank styles; nil when no trained StyleBank (its auto-encoder) is installed.
    let learning: StyleLearning?
    /// Styles made from a painting at once (AdaIN).
    let registration: StyleRegistration
    /// Previews of the built-in styles (`GET /styles/{id}/image`).
    let swatches = StyleSwatches()
    let metrics = Metrics()
    let clients: ClientLimits
    /// Whether the store answers, checked at most once per `config.readinessCheckSeconds` (`/readyz`).
    private let readiness: Readiness
    /// Re-reads a shared store now and then, for what other replicas changed.
    private var refresher: DispatchSourceTimer?
    /// Whether the last refresh failed (touched on the refresh timer's queue only): one message
    /// per outage, not one per tick.
    private var refreshFailing = false
    private var router = Router()

    /// Opens the store (the data folder's styles/ and jobs.json, or the shared database), resumes
    /// interrupted training and builds the routes. With a shared store, `config.role` says whether
    /// this replica trains (trainer, all) and whether it follows other replicas' changes (api, all).
    public init(config: ServiceConfig, registry: ModelRegistry) throws {
        self.config = config
        self.registry = registry
        clients = ClientLimits(maxRequests: config.maxRequestsPerClient, maxJobs: config.maxJobsPerClient)
        pool = WorkerPool(workers: config.workers, capacity: config.queueCapacity, sharesCores: true)
        let store = try StyleStores.open(config)
        self.store = store
        readiness = Readiness(every: config.readinessCheckSeconds) { try store.checkReachable() }
        let jobs: JobQueue
        if let shared = store as? PostgresStyleStore {
            jobs = SharedJobQueue(board: PostgresJobBoard(pool: shared.pool, capacity: config.jobQueueCapacity, leaseSeconds: config.jobLeaseSeconds))
        } else {
            guard config.role == .all else {
                throw ServiceError("the \(config.role.rawValue) role needs a store replicas share: set ATELIER_STORE=postgres://…")
            }
            jobs = LocalJobQueue(manager: try JobManager(file: config.dataDirectory.appendingPathComponent("jobs.json"),
                                                         capacity: config.jobQueueCapacity, concurrentJobs: config.concurrentJobs))
        }
        self.jobs = jobs
        learning = try (registry.models["stylebank"] as? StyleBankModel).map { try StyleLearning(model: $0, store: store, jobs: jobs, config: config) }
        registration = try StyleRegistration(models: registry.models.values.compactMap { $0 as? RegistrableStyleModel }, store: store, config: config)
        if let shared = jobs as? SharedJobQueue {
            if config.role != .api { shared.startTraining(workers: config.concurrentJobs) }
            if config.role != .trainer { startRefreshing(every: config.storeRefreshSeconds) }
        }

        router.add("GET", "/") { _, r in r(WebPage.response) }
        router.add("POST", "/stylize", query: nil) { [unowned self] in try stylize($0, respond: $1) }
        router.add("GET", "/styles") { _, r in r(.json(["styles": registry.allStyles])) }
        router.add("POST", "/styles", query: nil) { [unowned self] in try createStyle($0, respond: $1) }
        router.add("GET", "/styles/{id}", query: ["model"]) { [unowned self] in try styleDetail($0, respond: $1) }
        router.add("DELETE", "/styles/{id}", query: ["model"]) { [unowned self] in try deleteStyle($0, respond: $1) }
        router.add("GET", "/styles/{id}/image", query: ["model"]) { [unowned self] in try styleImage($0, respond: $1) }
        router.add("GET", "/jobs") { _, r in r(.json(["jobs": try jobs.allJobs()], encoder: .api)) }
        router.add("GET", "/jobs/{id}") { [unowned self] in try job($0, respond: $1) }
        router.add("DELETE", "/jobs/{id}") { [unowned self] in try cancelJob($0, respond: $1) }
        router.add("GET", "/models") { [unowned self] _, r in r(.json(["models": modelList()])) }
        router.add("GET", "/healthz") { _, r in r(.json(["status": "ok"])) }
        // The registry loads before serving; the store may go away and come back.
        router.add("GET", "/readyz") { [unowned self] _, r in
            if let failure = readiness.failure() {
                r(APIError(status: 503, code: "store_unavailable", message: "the style store is unreachable: \(failure)", retryAfter: 5).response)
            } else {
                r(.json(["status": "ready"]))
            }
        }
        router.add("GET", "/metrics") { [unowned self] _, r in
            r(.bytes(contentType: "text/plain; version=0.0.4; charset=utf-8",
                     body: Array(metrics.render(queueDepth: pool.waiting, running: pool.running, queueCapacity: pool.capacity,
                                                statisticsCaches: registry.models.keys.sorted().compactMap { name in
                                                    registry.models[name]!.statisticsCache.map { (name, $0.hits, $0.misses, $0.entries) }
                                                }).utf8)))
        }
    }

    /// Entry point for `HTTPServer`: the public listener.
    public func handle(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        if config.metricsOnAdminListener && request.path == "/metrics" {
            return respond(APIError.notFound("metrics are served on the admin listener (--admin-port)", code: "not_found").response)
        }
        serve(request, respond: respond)
    }

    /// Routes, authorizes, limits and answers one request; `admin`: from the admin listener,
    /// which only `handleAdmin` sends here, needs no token and has no client limits.
    func serve(_ request: HTTPRequest, admin: Bool = false, respond: @escaping (HTTPResponse) -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        let match = router.match(request.path)
        let recorded: (HTTPResponse) -> Void = { [metrics] response in
            metrics.recordRequest(route: match?.route.pattern ?? "other", status: response.status,
                                  seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            respond(response)
        }
        guard let (route, parameters) = match else {
            return recorded(APIError.notFound("no route \(request.path)", code: "not_found").response)
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        if !admin, let denied = config.access.check(method: method, path: request.path, authorization: request.headers["Authorization"]) {
            return recorded(denied.response)
        }
        // Probes are never limited: a busy client must not make the service look dead (nor the static page).
        let client = ClientLimits.client(of: request.remoteAddress)
        let limited = !admin && !AccessPolicy.openPaths.contains(request.path)
        if limited {
            guard clients.enter(client) else {
                return recorded(APIError(status: 429, code: "too_many_requests",
                                       message: "this client has \(config.maxRequestsPerClient) requests in flight already; retry when one is answered",
                                       retryAfter: 1).response)
            }
        }
        let once = AnsweredOnce()
        let finish: (HTTPResponse) -> Void = { [clients] response in
            guard once.first() else { return }
            if limited { clients.leave(client) }
            recorded(response)
        }
        guard let handler = route.handlers[method] else {
            var response = APIError(status: 405, code: "method_not_allowed",
                                    message: "\(request.method) is not allowed on \(request.path)").response
            response.headers.set(name: "Allow", value: route.handlers.keys.sorted().joined(separator: ", "))
            return finish(response)
        }
        if let known = route.queryNames[method] ?? nil, let unknown = request.queryItems.first(where: { !known.contains($0.name) }) {
            return finish(APIError.badRequest("\(method) \(route.pattern) takes no parameter '\(unknown.name)'"
                                              + (known.isEmpty ? "" : "; it takes \(known.sorted().joined(separator: ", "))"), code: "unknown_parameter").response)
        }
        do { try handler(RouteRequest(http: request, parameters: parameters), finish) } catch let error as APIError {
            finish(error.response)
        } catch let error as PostgresError where error.isUnavailable {
            // The shared store is down or saturated: a client may retry; other replicas may do better.
            finish(APIError(status: 503, code: "store_unavailable", message: "\(error)", retryAfter: 5).response)
        } catch {
            finish(.error(status: 500, code: "internal_error", message: "\(error)"))
        }
    }

    /// The last result of a readiness check, redone when older than `every` seconds. One check
    /// runs at a time; callers arriving meanwhile wait for it (it is bounded: `checkReachable`).
    final class Readiness: @unchecked Sendable {
        private let lock = NSLock()
        private let every: Double
        private let check: () throws -> Void
        private var last: (at: DispatchTime, failure: String?)?

        init(every: Double, check: @escaping () throws -> Void) { (self.every, self.check) = (every, check) }

        /// nil when the store answered, else why not.
        func failure() -> String? {
            lock.withLock {
                let now = DispatchTime.now()
                if let last, Double(now.uptimeNanoseconds - last.at.uptimeNanoseconds) / 1e9 < every { return last.failure }
                var failure: String?
                do { try check() } catch { failure = "\(error)" }
                last = (DispatchTime.now(), failure)
                return failure
            }
        }
    }

    /// True the first time only: a handler answers once, and the client's count must drop once.
    final class AnsweredOnce: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func first() -> Bool { lock.withLock { defer { done = true }; return !done } }
    }

    struct ModelEntry: Encodable {
        let name: String, kind: String, styles: Int, parameters: Int, isDefault: Bool
        enum CodingKeys: String, CodingKey { case name, kind, styles, parameters, isDefault = "default" }
    }

    func modelList() -> [ModelEntry] {
        registry.models.keys.sorted().map { name in
            let m = registry.models[name]!
            return ModelEntry(name: name, kind: m.kind, styles: m.styles.count, parameters: m.parameterCount,
                              isDefault: name == registry.defaultModel)
        }
    }

    /// Stops taking work: queued stylizations still finish; a running training job stops at its
    /// next step (its style resumes from the checkpoint at the next start).
    public func stop() {
        refresher?.cancel()
        pool.stop()
        jobs.stop()
    }

    private func startRefreshing(every seconds: Double) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "atelier.store-refresh"))
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            do {
                try learning?.refresh()
                try registration.refresh()
                if refreshFailing { print("atelier: the shared store answers again; styles refreshed") }
                refreshFailing = false
            } catch {
                if !refreshFailing { print("atelier: could not refresh styles from the shared store (retrying every \(seconds) s): \(error)") }
                refreshFailing = true
            }
        }
        timer.resume()
        refresher = timer
    }
}
