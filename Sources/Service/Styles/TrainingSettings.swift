/// How long and at what resolution a new style's bank is trained (`POST /styles`).
struct TrainingSettings: Codable, Equatable, Sendable {
    enum Preset: String, Codable, CaseIterable, Sendable { case quick, standard, high }

    var preset: Preset
    var iterations: Int
    /// Side of the square content crops trained on.
    var size: Int
    var batch: Int

    /// The presets, measured through the service with training on one core, photos loaded at the
    /// first job included. On the AVX-512 Xeon: quick 63 s (session 2), standard (the default)
    /// 204–228 s with the residual blocks (session 4; 178–191 s without, session 3). On an AVX2 EPYC
    /// (session 5): standard 437–446 s, over the 5 minutes aimed for; a time budget per preset is
    /// the fix still to make. high is about 3.5× standard's steps at 1.8× the pixels.
    static func preset(_ p: Preset) -> TrainingSettings {
        switch p {
        case .quick: return TrainingSettings(preset: p, iterations: 100, size: 192, batch: 1)
        case .standard: return TrainingSettings(preset: p, iterations: 300, size: 192, batch: 1)
        case .high: return TrainingSettings(preset: p, iterations: 1000, size: 256, batch: 1)
        }
    }

    static let iterationRange = 1...20_000
    static let sizeRange = 64...512

    /// The preset with the request's overrides, validated.
    static func from(preset: String?, iterations: String?, size: String?) throws -> TrainingSettings {
        let name = preset ?? Preset.standard.rawValue
        guard let p = Preset(rawValue: name) else {
            throw APIError.badRequest("preset must be one of \(Preset.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
        }
        var settings = Self.preset(p)
        if let text = iterations {
            guard let n = Int(text), iterationRange.contains(n) else {
                throw APIError.badRequest("iterations must be an integer from \(iterationRange.lowerBound) to \(iterationRange.upperBound)")
            }
            settings.iterations = n
        }
        if let text = size {
            guard let n = Int(text), sizeRange.contains(n), n % 4 == 0 else {
                throw APIError.badRequest("size must be a multiple of 4 from \(sizeRange.lowerBound) to \(sizeRange.upperBound)")
            }
            settings.size = n
        }
        return settings
    }
}
