/// Why an image could not be decoded or encoded.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// Not a PNG or JPEG, or a variant of one that is not supported.
        case unsupportedFormat
        /// More pixels than the caller allows, or dimensions a format cannot hold.
        case tooLarge
        /// Malformed or truncated data.
        case corrupt
        /// No bytes at all, or an image without pixels.
        case empty
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
