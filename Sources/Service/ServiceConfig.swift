import Foundation

/// Everything the service can be tuned with; `atelier serve` fills it from flags and environment.
public struct ServiceConfig: Sendable {
    /// Service state (stored styles, jobs). Created if missing.
    public var dataDirectory: URL
    /// Converted weights (`make weights`); defaults to `<data>/models`.
    public var modelsDirectory: URL
    /// Requests stylized at the same time. Each inference already uses every core, so more
    /// workers mainly overlap decoding/encoding with inference.
    public var workers: Int = 2
    /// Requests that may wait for a worker; beyond it the service answers 503 + Retry-After.
    public var queueCapacity: Int = 16
    /// Largest decoded image accepted (width × height), checked from the header before decoding.
    public var maxInputPixels: Int = 40_000_000
    /// Longest side a result is computed at when the request names no `max_size`.
    public var defaultMaxSide: Int = 1024
    /// Upper bound for `max_size`.
    public var maxSideLimit: Int = 4096
    /// Smallest side accepted after resizing (the networks downsample ×4 with reflect padding).
    public var minSide: Int = 16
    /// Model used when a request names none.
    public var defaultModel: String = "multistyle26"

    public init(dataDirectory: URL, modelsDirectory: URL? = nil) {
        self.dataDirectory = dataDirectory
        self.modelsDirectory = modelsDirectory ?? dataDirectory.appendingPathComponent("models")
    }
}
