/// How long and at what resolution a new style's bank is trained (`POST /styles`).
struct TrainingSettings: Codable, Equatable, Sendable {
    enum Preset: String, Codable, CaseIterable, Sendable { case quick, standard, high }

    var preset: Preset
    /// Training steps, at most: a job with a time budget may stop sooner.
    var iterations: Int
    /// Side of the square content crops trained on.
    var size: Int
    var batch: Int
    /// The time budget: training stops after this many seconds from the job's start (photo
    /// loading included) even if `iterations` are not done, so a preset's duration does not
    /// depend on the machine. nil: run every step (up to the service's `maxJobSeconds`). Absent in
    /// records written before budgets existed, which decode as nil.
    var seconds: Int?

    /// The presets. quick and standard are bounded by time, so standard (the default) is done
    /// within 5 minutes wherever it runs. Crops are 128² (the built-in banks ended at 256², but a
    /// step there costs 4×, and 400 steps at 128² already look like the painting). On an AVX2
    /// EPYC with training on one core (2026-12-01), standard did its 400 steps in 207–245 s, photo
    /// loading included (66–74 s on an AVX-512 EPYC on 2026-12-02, paintings at 384 or 768 px);
    /// 300 steps at 192² (the earlier standard) took 437–446 s there and looked about the same.
    /// high trains every step, at 2.25× the pixels. (docs/training.md has the table.)
    static func preset(_ p: Preset) -> TrainingSettings {
        switch p {
        case .quick: return TrainingSettings(preset: p, iterations: 100, size: 128, batch: 1, seconds: 90)
        case .standard: return TrainingSettings(preset: p, iterations: 400, size: 128, batch: 1, seconds: 270)
        case .high: return TrainingSettings(preset: p, iterations: 1000, size: 192, batch: 1, seconds: nil)
        }
    }

    static let iterationRange = 1...20_000
    static let sizeRange = 64...512
    static let secondsRange = 1...86_400

    /// The preset with the request's overrides, validated. An explicit `iterations` without
    /// `seconds` asks for that many steps, so it drops the preset's time budget.
    static func from(preset: String?, iterations: String?, size: String?, seconds: String? = nil) throws -> TrainingSettings {
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
            settings.seconds = nil
        }
        if let text = size {
            guard let n = Int(text), sizeRange.contains(n), n % 4 == 0 else {
                throw APIError.badRequest("size must be a multiple of 4 from \(sizeRange.lowerBound) to \(sizeRange.upperBound)")
            }
            settings.size = n
        }
        if let text = seconds {
            guard let n = Int(text), secondsRange.contains(n) else {
                throw APIError.badRequest("seconds must be an integer from \(secondsRange.lowerBound) to \(secondsRange.upperBound)")
            }
            settings.seconds = n
        }
        return settings
    }
}
