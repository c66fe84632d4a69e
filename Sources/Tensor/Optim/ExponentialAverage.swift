/// An exponential moving average of parameters (Polyak averaging with exponential weights, as
/// used for the weights that generative networks ship): after each optimizer step,
///
///   a ← d·a + (1 − d)·θ
///
/// With batch-1 training the iterates jitter around the optimum; the average over the last
/// ~1/(1 − d) steps sits closer to it. It starts at the current parameters, so it needs no bias
/// correction. Element-wise and sequential: bit-for-bit reproducible.
public struct ExponentialAverage {
    public let decay: Float
    public private(set) var values: [String: Tensor]

    public init(decay: Float, of parameters: [String: Tensor]) {
        precondition(decay >= 0 && decay < 1, "decay must be in [0, 1), got \(decay)")
        self.decay = decay
        values = parameters
    }

    /// Sets the average of each named tensor (as when resuming from a checkpoint).
    public mutating func set(_ averages: [String: Tensor]) { values.merge(averages) { $1 } }

    /// Moves the average of every tensor in `parameters` toward it; a new name starts at its value.
    public mutating func update(_ parameters: [String: Tensor]) {
        let d = decay, e = 1 - decay
        for (name, p) in parameters {
            guard var a = values[name], a.shape == p.shape else { values[name] = p; continue }
            values[name] = nil   // keep the storage uniquely referenced: updated in place
            a.withUnsafeMutableBufferPointer { av in
                p.withUnsafeBufferPointer { pv in
                    for i in 0..<av.count { av[i] = d * av[i] + e * pv[i] }
                }
            }
            values[name] = a
        }
    }
}
