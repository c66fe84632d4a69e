import Tensor

/// A style the service can apply, as listed by `GET /styles`.
public struct StyleInfo: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case ready, training, failed }

    public let id: Int
    public let name: String
    public let model: String
    public var status: Status
    /// For a style being learned: the job training it (`GET /jobs/{id}`).
    public var jobID: String?
    /// For a style whose training failed: why.
    public var error: String?

    public init(id: Int, name: String, model: String, status: Status = .ready, jobID: String? = nil, error: String? = nil) {
        (self.id, self.name, self.model, self.status, self.jobID, self.error) = (id, name, model, status, jobID, error)
    }

    enum CodingKeys: String, CodingKey { case id, name, model, status, error, jobID = "job_id" }
}

/// A network that stylizes with one of its styles or a weighted blend of them.
/// Implementations are safe to call from several threads; a model whose styles can change
/// (StyleBank learning new banks) changes them atomically.
public protocol StyleModel: AnyObject, Sendable {
    var name: String { get }
    /// What kind of network this is ("conditional-instance-norm", "stylebank", …).
    var kind: String { get }
    var styles: [StyleInfo] { get }
    var parameterCount: Int { get }
    /// `image`: [1, 3, H, W] RGB in 0…1, any H and W of at least 16. `blend`: style id → weight,
    /// weights positive and summing to 1. Returns the stylized image, same shape, 0…1. Throws an
    /// `APIError` when a style of the blend cannot be used (not ready, or removed meanwhile).
    func stylize(_ image: Tensor, blend: [Int: Float]) throws -> Tensor
}
