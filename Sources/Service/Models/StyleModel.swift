import Tensor

/// A style the service can apply, as listed by `GET /styles`.
public struct StyleInfo: Codable, Sendable, Equatable {
    public let id: Int
    public let name: String
    public let model: String
    public let status: String
}

/// A network that stylizes with one of its styles or a weighted blend of them.
/// Implementations are immutable after loading and safe to call from several threads.
public protocol StyleModel: AnyObject, Sendable {
    var name: String { get }
    /// What kind of network this is ("conditional-instance-norm", "stylebank", …).
    var kind: String { get }
    var styles: [StyleInfo] { get }
    var parameterCount: Int { get }
    /// `image`: [1, 3, H, W] RGB in 0…1, any H and W of at least 16. `blend`: style id → weight,
    /// weights positive and summing to 1. Returns the stylized image, same shape, 0…1.
    func stylize(_ image: Tensor, blend: [Int: Float]) -> Tensor
}
