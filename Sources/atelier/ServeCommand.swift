import Foundation
import HTTP
import Service

enum ServeCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["host", "port", "data", "models", "workers", "queue", "max-body-mb", "training-photos", "training-threads", "job-queue", "concurrent-jobs", "default-model", "store", "role", "admin-port", "admin-host"])
        let env = ServiceSetup.environment
        var config = ServiceSetup.config(a)
        if let w = try a.int("workers") ?? env["ATELIER_WORKERS"].flatMap(Int.init) { config.workers = w }
        if let q = try a.int("queue") ?? env["ATELIER_QUEUE"].flatMap(Int.init) { config.queueCapacity = q }
        if let t = try a.int("training-threads") ?? env["ATELIER_TRAINING_THREADS"].flatMap(Int.init) { config.trainingThreads = max(1, t) }
        if let q = try a.int("job-queue") ?? env["ATELIER_JOB_QUEUE"].flatMap(Int.init) { config.jobQueueCapacity = q }
        if let j = try a.int("concurrent-jobs") ?? env["ATELIER_CONCURRENT_JOBS"].flatMap(Int.init) { config.concurrentJobs = max(1, j) }
        if let n = env["ATELIER_MAX_REQUESTS_PER_CLIENT"].flatMap(Int.init), n > 0 { config.maxRequestsPerClient = n }
        if let n = env["ATELIER_MAX_JOBS_PER_CLIENT"].flatMap(Int.init), n > 0 { config.maxJobsPerClient = n }
        config.access = AccessPolicy(writeToken: try AccessPolicy.token("ATELIER_API_TOKEN", environment: env),
                                     readToken: try AccessPolicy.token("ATELIER_READ_TOKEN", environment: env))
        let role = a.options["role"] ?? env["ATELIER_ROLE"] ?? ServiceRole.all.rawValue
        guard let r = ServiceRole(rawValue: role) else {
            throw CLIError("--role must be one of \(ServiceRole.allCases.map(\.rawValue).joined(separator: ", ")), not \(role)")
        }
        config.role = r
        if let s = env["ATELIER_JOB_LEASE_SECONDS"].flatMap(Double.init), (1...3600).contains(s) { config.jobLeaseSeconds = s }
        if let s = env["ATELIER_CHECKPOINT_SECONDS"].flatMap(Double.init), (1...3600).contains(s) { config.checkpointSeconds = s }
        if let s = env["ATELIER_STORE_WAIT_SECONDS"].flatMap(Double.init), (0...3600).contains(s) { config.storeStartupWaitSeconds = s }
        try FileManager.default.createDirectory(at: config.dataDirectory, withIntermediateDirectories: true)

        let adminPort = try a.int("admin-port") ?? env["ATELIER_ADMIN_PORT"].flatMap(Int.init)
        let adminHost = a.options["admin-host"] ?? env["ATELIER_ADMIN_HOST"] ?? "127.0.0.1"
        if let adminPort, !(0...65535).contains(adminPort) { throw CLIError("--admin-port must be 0…65535, not \(adminPort)") }
        config.metricsOnAdminListener = adminPort != nil

        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel,
                                                 defaultArbitraryModel: config.defaultArbitraryModel)
        let service = try AtelierService(config: config, registry: registry)
        let admin = try adminPort.map { port -> HTTPServer in
            let server = HTTPServer(config: ServerConfig(host: adminHost, port: port), handler: service.handleAdmin)
            print("atelier: admin listener (probes, metrics) on \(adminHost):\(try server.start())")
            return server
        }
        if config.role == .trainer { return runTrainer(service) }

        var serverConfig = ServerConfig(host: a.options["host"] ?? env["ATELIER_HOST"] ?? "0.0.0.0",
                                        port: try a.int("port") ?? env["ATELIER_PORT"].flatMap(Int.init) ?? 8080)
        if let mb = try a.int("max-body-mb") ?? env["ATELIER_MAX_BODY_MB"].flatMap(Int.init) { serverConfig.maxBodyBytes = mb << 20 }
        try serverConfig.apply(environment: env)   // timeouts and the connection limit (ServerConfig+Environment)
        let server = HTTPServer(config: serverConfig, handler: service.handle)
        let port = try server.start()
        server.installSignalHandlers(gracePeriod: 30)
        print("atelier: \(config.access.summary)")
        print("atelier: serving on \(serverConfig.host):\(port) with models \(registry.models.keys.sorted()) (default \(registry.defaultModel)) from \(config.modelsDirectory.path)")
        server.waitUntilStopped()
        admin?.shutdown(gracePeriod: 1)
        service.stop()
        print("atelier: stopped")
    }

    /// A trainer replica runs jobs from the shared store and listens on no port; SIGTERM or
    /// SIGINT gives its running job back to the queue (resumed from its checkpoint elsewhere).
    private static func runTrainer(_ service: AtelierService) {
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGTERM, SIGINT].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        print("atelier: training jobs from the shared store (no HTTP listener)")
        // The signal sources fire on the main queue, so wait elsewhere.
        DispatchQueue.global().async {
            stop.wait()
            service.stop()
            print("atelier: stopped")
            sources.forEach { $0.cancel() }
            exit(0)
        }
        dispatchMain()
    }
}
