import HTTP

extension AtelierService {
    /// What the admin listener serves: the probes and the metrics, nothing that changes state.
    public static let adminPaths: Set<String> = ["/metrics", "/healthz", "/readyz"]

    /// Entry point for the admin listener's `HTTPServer` (`serve --admin-port`, on 127.0.0.1 by
    /// default, as TorchServe keeps management off the public interface): the same probes and
    /// metrics as the public routes, without tokens or client limits; everything else is 404.
    public func handleAdmin(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard Self.adminPaths.contains(request.path) else {
            return respond(APIError.notFound("the admin listener serves \(Self.adminPaths.sorted().joined(separator: ", ")) only",
                                             code: "not_found").response)
        }
        serve(request, admin: true, respond: respond)
    }
}
