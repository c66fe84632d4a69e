import Tensor

/// A model's parameters in named groups, each updated by its own Adam, and their state in a
/// checkpoint: what every trainer shares. StyleBank has the auto-encoder and one group per bank
/// (and a second Adam for the auto-encoder's identity steps); AdaIN one group, the decoder;
/// MUNIT will have its generators and its discriminators, with β₁ = 0.5.
///
/// Checkpoint format: `adam.<group>.<Adam state key>` tensors, and the group names in the
/// metadata under `groups` (comma-separated), so a resumed run gets each Adam back.
public struct OptimizerGroups {
    public struct Settings: Sendable {
        public var beta1: Float = 0.9, beta2: Float = 0.999
        /// Adam's L2 penalty λ (g + λ·θ), 0 for none.
        public var weightDecay: Float = 0
        public init(beta1: Float = 0.9, beta2: Float = 0.999, weightDecay: Float = 0) {
            (self.beta1, self.beta2, self.weightDecay) = (beta1, beta2, weightDecay)
        }
    }

    /// The parameter names a group updates (given a parameter name: whether it is in the group).
    let members: (String) -> (String) -> Bool
    let settings: (String) -> Settings
    public private(set) var optimizers: [String: Adam] = [:]

    public init(members: @escaping (String) -> (String) -> Bool, settings: @escaping (String) -> Settings = { _ in Settings() }) {
        self.members = members
        self.settings = settings
    }

    func names(_ group: String, in parameters: [String: Tensor]) -> [String] { parameters.keys.filter(members(group)).sorted() }

    /// One Adam step of `group`'s parameters at `learningRate` (a parameter without a gradient
    /// gets zero: Adam still moves it by its momentum).
    public mutating func update(_ group: String, parameters: inout [String: Tensor], gradients: [String: Tensor], learningRate: Float) {
        let names = names(group, in: parameters)
        let s = settings(group)
        var optimizer = optimizers[group] ?? Adam(parameterShapes: names.map { parameters[$0]!.shape }, learningRate: learningRate,
                                                  beta1: s.beta1, beta2: s.beta2)
        optimizer.learningRate = learningRate
        optimizer.weightDecay = s.weightDecay
        let grads = names.map { gradients[$0] ?? Tensor(zeros: parameters[$0]!.shape) }
        // Taken out of the dictionary, each tensor's storage has one owner, so Adam updates it in
        // place instead of copying it first (copy-on-write).
        var values = names.map { parameters.removeValue(forKey: $0)! }
        optimizer.update(&values, gradients: grads)
        for (n, v) in zip(names, values) { parameters[n] = v }
        optimizers[group] = optimizer
    }

    /// The tensors and metadata a checkpoint keeps of the optimizers.
    public var checkpoint: (tensors: [String: Tensor], metadata: [String: String]) {
        var t: [String: Tensor] = [:]
        for (group, opt) in optimizers { for (k, v) in opt.state { t["adam.\(group).\(k)"] = v } }
        return (t, ["groups": optimizers.keys.sorted().joined(separator: ",")])
    }

    /// Every group named in `metadata["groups"]` back from `tensors`, checked against the
    /// parameters' shapes; groups not named start afresh at their first update.
    public mutating func restore(tensors: [String: Tensor], metadata: [String: String], parameters: [String: Tensor]) throws {
        optimizers = [:]
        for group in (metadata["groups"] ?? "").split(separator: ",").map(String.init) {
            let names = names(group, in: parameters)
            let prefix = "adam.\(group)."
            let state = Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
            let s = settings(group)
            optimizers[group] = try Adam(state: state, parameterShapes: names.map { parameters[$0]!.shape }, beta1: s.beta1, beta2: s.beta2)
        }
    }
}
