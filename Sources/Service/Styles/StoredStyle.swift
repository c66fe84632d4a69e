import Foundation

/// A style a user taught the service (`POST /styles`), as the store keeps it: learned by a
/// training job (StyleBank) or registered at once from its painting (AdaIN).
struct StoredStyle: Codable, Equatable {
    /// User style ids start here, in every store, so they never collide with any model's
    /// built-in ids and `/stylize?style=1000` finds its model without `model=`.
    static let firstID = 1000

    let id: Int
    var name: String
    /// The model it belongs to; records written before other models had stored styles are StyleBank's.
    var model: String = "stylebank"
    var status: StyleInfo.Status
    var error: String?
    var jobID: String?
    /// How it is trained; nil for a registered style (no training).
    var settings: TrainingSettings?
    let createdAt: Date
    var trainingSeconds: Double?
    var finalLoss: Double?
    /// Steps trained: the settings' `iterations`, or fewer where the time budget ran out first.
    var trainedIterations: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, model, status, error, settings
        case jobID = "job_id", createdAt = "created_at", trainingSeconds = "training_seconds", finalLoss = "final_loss"
        case trainedIterations = "trained_iterations"
    }

    init(id: Int, name: String, model: String, status: StyleInfo.Status, settings: TrainingSettings?, createdAt: Date) {
        (self.id, self.name, self.model, self.status, self.settings, self.createdAt) = (id, name, model, status, settings, createdAt)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? "stylebank"
        status = try c.decode(StyleInfo.Status.self, forKey: .status)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        jobID = try c.decodeIfPresent(String.self, forKey: .jobID)
        settings = try c.decodeIfPresent(TrainingSettings.self, forKey: .settings)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        trainingSeconds = try c.decodeIfPresent(Double.self, forKey: .trainingSeconds)
        finalLoss = try c.decodeIfPresent(Double.self, forKey: .finalLoss)
        trainedIterations = try c.decodeIfPresent(Int.self, forKey: .trainedIterations)
    }

    var info: StyleInfo { StyleInfo(id: id, name: name, model: model, status: status, jobID: jobID, error: error) }
}
