import HTTP

/// `GET /jobs`, `GET /jobs/{id}`, `DELETE /jobs/{id}`: the background jobs (style training).
extension AtelierService {
    func job(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        respond(.json(try findJob(route), encoder: .api))
    }

    /// Cancels a queued or running job (a learned style being trained is removed with it).
    func cancelJob(_ route: RouteRequest, respond: @escaping (HTTPResponse) -> Void) throws {
        let record = try findJob(route)
        guard try jobs.cancel(record.id) else {
            throw APIError(status: 409, code: "job_finished", message: "job \(record.id) already \(record.status.rawValue)")
        }
        respond(.json(status: 202, try jobs.job(record.id) ?? record, encoder: .api))
    }

    private func findJob(_ route: RouteRequest) throws -> JobRecord {
        let id = route.parameters["id"] ?? ""
        guard let record = try jobs.job(id) else { throw APIError.notFound("job '\(id)' does not exist", code: "unknown_job") }
        return record
    }
}
