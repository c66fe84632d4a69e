/// A parsed `style` parameter: one id ("3") or a weighted blend ("3:0.5,12:0.5").
/// Weights must be positive; they are normalized to sum to 1. A bare id in a list weighs 1.
struct StyleBlend: Equatable {
    let weights: [Int: Float]

    init(parsing text: String, validIDs: Set<Int>) throws {
        self = try StyleBlend(parsing: text)
        try checkIDs(validIDs)
    }

    /// 404 for the first id (in order) that `validIDs` lacks.
    func checkIDs(_ validIDs: Set<Int>) throws {
        for id in weights.keys.sorted() where !validIDs.contains(id) {
            throw APIError.notFound("style \(id) does not exist", code: "unknown_style")
        }
    }

    /// The syntax alone; ids are checked against a model by `checkIDs`.
    init(parsing text: String) throws {
        var weights: [Int: Float] = [:]
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.isEmpty, parts.count <= 32 else {
            throw APIError.badRequest("style must be an id like 3 or a blend like 3:0.5,12:0.5 (at most 32 parts)")
        }
        for part in parts {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let id = Int(pieces[0].trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badRequest("style part '\(part)' is not an id or id:weight")
            }
            var weight: Float = 1
            if pieces.count == 2 {
                guard let w = Float(pieces[1].trimmingCharacters(in: .whitespaces)), w.isFinite, w > 0 else {
                    throw APIError.badRequest("style weight in '\(part)' must be a positive number")
                }
                weight = w
            }
            weights[id, default: 0] += weight
        }
        let total = weights.values.reduce(0, +)
        self.weights = weights.mapValues { $0 / total }
    }
}

import Foundation
