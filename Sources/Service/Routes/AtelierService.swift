import Foundation
import HTTP

/// The HTTP face of the service: routes requests to handlers, turns `APIError`s into JSON
/// responses and records metrics. Owns the worker pool; knows nothing about sockets.
public final class AtelierService: @unchecked Sendable {
    let config: ServiceConfig
    let registry: ModelRegistry
    let pool: WorkerPool
    let metrics = Metrics()

    typealias Handler = (HTTPRequest, @escaping (HTTPResponse) -> Void) throws -> Void
    /// path → method → handler; built once in `init`.
    private var routes: [String: [String: Handler]] = [:]

    public init(config: ServiceConfig, registry: ModelRegistry) {
        self.config = config
        self.registry = registry
        pool = WorkerPool(workers: config.workers, capacity: config.queueCapacity)
        routes = [
            "/stylize": ["POST": { [unowned self] in try stylize($0, respond: $1) }],
            "/styles": ["GET": { [unowned self] _, r in r(.json(["styles": registry.allStyles])) }],
            "/models": ["GET": { [unowned self] _, r in r(.json(["models": modelList()])) }],
            "/healthz": ["GET": { _, r in r(.json(["status": "ok"])) }],
            "/readyz": ["GET": { _, r in r(.json(["status": "ready"])) }],   // the registry loads before serving
            "/metrics": ["GET": { [unowned self] _, r in
                r(.bytes(contentType: "text/plain; version=0.0.4; charset=utf-8",
                         body: Array(metrics.render(queueDepth: pool.waiting, running: pool.running, queueCapacity: pool.capacity).utf8)))
            }],
        ]
    }

    /// Entry point for `HTTPServer`.
    public func handle(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        let route = routes[request.path] != nil ? request.path : "other"
        let finish: (HTTPResponse) -> Void = { [metrics] response in
            metrics.recordRequest(route: route, status: response.status,
                                  seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            respond(response)
        }
        guard let methods = routes[request.path] else {
            return finish(APIError.notFound("no route \(request.path)", code: "not_found").response)
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let handler = methods[method] else {
            var response = APIError(status: 405, code: "method_not_allowed",
                                    message: "\(request.method) is not allowed on \(request.path)").response
            response.headers.set(name: "Allow", value: methods.keys.sorted().joined(separator: ", "))
            return finish(response)
        }
        do { try handler(request, finish) } catch let error as APIError {
            finish(error.response)
        } catch {
            finish(.error(status: 500, code: "internal_error", message: "\(error)"))
        }
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

    /// Stops taking stylization work; queued jobs still finish.
    public func stop() { pool.stop() }
}
