import Tensor

/// An exponential moving average of a network's parameters (Polyak averaging), updated after
/// every optimizer step:  avg ← d·avg + (1 − d)·w,  starting from the weights it is created with.
///
/// Why: with a few images per batch and many styles, the last hundred steps pull the weights
/// towards the styles they happened to see; AdaIN decoder snapshots 900 iterations apart scored
/// 16/16 and 10/16 on the held-out pairs. The average over the last ~1/(1 − d) steps is what an
/// export should hold. Training itself continues from the raw weights.
public struct WeightAverage {
    public let decay: Float
    public private(set) var parameters: [String: Tensor]

    public init(decay: Float, starting weights: [String: Tensor]) {
        precondition(decay > 0 && decay < 1, "a decay in (0, 1)")
        (self.decay, self.parameters) = (decay, weights)
    }

    public mutating func update(with weights: [String: Tensor]) {
        let d = decay, e = 1 - decay
        for (name, w) in weights {
            guard var avg = parameters.removeValue(forKey: name) else { continue }
            precondition(avg.shape == w.shape, "\(name): \(avg.shape) vs \(w.shape)")
            w.withUnsafeBufferPointer { src in
                avg.withUnsafeMutableBufferPointer { dst in
                    for i in dst.indices { dst[i] = d * dst[i] + e * src[i] }
                }
            }
            parameters[name] = avg
        }
    }

    // MARK: - Checkpoints

    static let prefix = "average."

    /// Tensors "average.<name>" and metadata "average_decay", beside a trainer's own.
    public var checkpoint: (tensors: [String: Tensor], metadata: [String: String]) {
        (parameters.mapKeys { Self.prefix + $0 }, ["average_decay": String(decay)])
    }

    /// The average a checkpoint holds for every name in `names` with the shapes of `like`; nil when
    /// the checkpoint was written without one.
    public static func restore(tensors: [String: Tensor], metadata: [String: String],
                               like weights: [String: Tensor]) throws -> WeightAverage? {
        guard let text = metadata["average_decay"] else { return nil }
        guard let decay = Float(text), decay > 0, decay < 1 else { throw TrainingError("unreadable average_decay '\(text)'") }
        var parameters: [String: Tensor] = [:]
        for (name, w) in weights {
            guard let v = tensors[prefix + name], v.shape == w.shape else { throw TrainingError("checkpoint lacks the average of \(name) \(w.shape)") }
            parameters[name] = v
        }
        return WeightAverage(decay: decay, starting: parameters)
    }
}
