import HTTP

/// A request as a handler sees it: the HTTP request and the values of the route's `{name}` segments.
struct RouteRequest {
    let http: HTTPRequest
    let parameters: [String: String]

    var query: [String: String] { http.query }

    /// The `{name}` segment as an integer, or 404 naming what was looked for.
    func integer(_ name: String, what: String) throws -> Int {
        guard let text = parameters[name], let value = Int(text) else {
            throw APIError.notFound("no \(what) '\(parameters[name] ?? "")'", code: "not_found")
        }
        return value
    }
}

/// Maps a path such as `/styles/1000/image` to the route `/styles/{id}/image` and its handlers
/// by method. Routes are matched segment by segment; a literal segment beats a parameter.
struct Router {
    typealias Handler = (RouteRequest, @escaping (HTTPResponse) -> Void) throws -> Void

    struct Route {
        let pattern: String
        let segments: [Substring]
        var handlers: [String: Handler] = [:]
        /// The query parameters each method takes; a method absent here checks its own (the
        /// routes that read multipart forms, through `RequestParameters`).
        var queryNames: [String: Set<String>] = [:]

        func match(_ parts: [Substring]) -> [String: String]? {
            guard parts.count == segments.count else { return nil }
            var parameters: [String: String] = [:]
            for (segment, part) in zip(segments, parts) {
                if segment.hasPrefix("{") && segment.hasSuffix("}") {
                    guard !part.isEmpty else { return nil }
                    parameters[String(segment.dropFirst().dropLast())] = String(part)
                } else if segment != part {
                    return nil
                }
            }
            return parameters
        }

        var literalCount: Int { segments.filter { !$0.hasPrefix("{") }.count }
    }

    private(set) var routes: [Route] = []

    /// `query`: the query parameters the handler takes (any other is a 400 naming it); nil: the
    /// handler checks its parameters itself.
    mutating func add(_ method: String, _ pattern: String, query: Set<String>? = [], _ handler: @escaping Handler) {
        let i = routes.firstIndex(where: { $0.pattern == pattern }) ?? {
            routes.append(Route(pattern: pattern, segments: pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }))
            return routes.count - 1
        }()
        routes[i].handlers[method] = handler
        routes[i].queryNames[method] = query
    }

    /// The best matching route and its parameters (most literal segments wins).
    func match(_ path: String) -> (route: Route, parameters: [String: String])? {
        let parts = Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
        var best: (route: Route, parameters: [String: String])?
        for route in routes {
            guard let parameters = route.match(parts) else { continue }
            if best == nil || route.literalCount > best!.route.literalCount { best = (route, parameters) }
        }
        return best
    }
}
