import Models
import Tensor

/// What a `ConvBlockSpec`'s forward pass keeps for its backward pass.
public struct BlockActivations {
    let padded: Tensor     // the conv's input (after upsampling and reflect padding), or for a folded
                           // upsampling block (`UpsampledConv`), its input padded by replication
    var folded: (conv: UpsampledConv, input: Tensor)? = nil   // a folded upsampling block's convolution and input
    let convOutput: Tensor // before normalization / bias and activation
    public let output: Tensor
}

/// Forward and backward of one conv block with explicit parameters, for training. Mirrors
/// `ConvBlock` (Models) exactly: [upsample ×2] → reflect pad → conv → IN(γ, β) or bias → activation.
public enum BlockTraining {
    public static func forward(_ spec: ConvBlockSpec, _ params: [String: Tensor], _ x: Tensor) -> BlockActivations {
        let w = params["\(spec.name).weight"]!
        let padded: Tensor, c: Tensor
        var folded: (conv: UpsampledConv, input: Tensor)?
        if spec.foldsUpsampling {
            padded = replicatePad1(x)
            folded = (UpsampledConv(weight: w), x)
            c = folded!.conv(x, replicatePadded: padded)
        } else {
            let input = spec.upsample ? upsampleNearest(x, factor: 2) : x
            let p = spec.padding
            padded = p > 0 ? pad2d(input, top: p, bottom: p, left: p, right: p, mode: .reflect) : input
            c = Conv2D(weight: w, stride: spec.stride)(padded)
        }
        let y: Tensor
        if spec.normalized {
            y = instanceNorm(c, gamma: params["\(spec.name).gamma"]!.scalars, beta: params["\(spec.name).beta"]!.scalars,
                             activation: spec.activation)
        } else {
            y = activate(addBias(c, params["\(spec.name).bias"]!), spec.activation)
        }
        return BlockActivations(padded: padded, folded: folded, convOutput: c, output: y)
    }

    /// Gradients of the block's parameters (keyed like `params`) and, when `inputGradient`, of x.
    /// With `weightGradients` off (a frozen block) only ∂L/∂x is computed.
    public static func backward(_ spec: ConvBlockSpec, _ params: [String: Tensor], _ a: BlockActivations,
                                gradOutput gy: Tensor, inputGradient: Bool, weightGradients: Bool = true) -> (gradInput: Tensor?, gradients: [String: Tensor]) {
        var grads: [String: Tensor] = [:]
        // The activation's gradient from the stored output, so its mask is exactly the forward's.
        let gz: Tensor
        switch spec.activation {
        case .none: gz = gy
        case .relu: gz = reluBackward(a.output, gradOutput: gy)
        case .sigmoid: gz = sigmoidBackward(output: a.output, gradOutput: gy)
        }
        let gc: Tensor
        if spec.normalized {
            let gamma = params["\(spec.name).gamma"]!.scalars
            let r = instanceNormBackward(a.convOutput, gamma: gamma, gradOutput: gz)
            grads["\(spec.name).gamma"] = Tensor(shape: [gamma.count], values: r.gradGamma)
            grads["\(spec.name).beta"] = Tensor(shape: [gamma.count], values: r.gradBeta)
            gc = r.gradInput
        } else {
            grads["\(spec.name).bias"] = convBiasGradient(gradOutput: gz)
            gc = gz
        }
        let r = if let folded = a.folded {
            upsampledConvBackward(folded.conv, input: folded.input, replicatePadded: a.padded, gradOutput: gc,
                                  computeInputGradient: inputGradient, computeWeightGradient: weightGradients)
        } else {
            conv2dBackward(input: a.padded, weight: params["\(spec.name).weight"]!, stride: spec.stride, gradOutput: gc,
                           computeInputGradient: inputGradient, computeWeightGradient: weightGradients)
        }
        if weightGradients { grads["\(spec.name).weight"] = r.gradWeight! } else { grads = [:] }
        guard inputGradient, let gp = r.gradInput else { return (nil, grads) }
        if a.folded != nil { return (gp, grads) }   // already ∂x of the block's input
        let p = spec.padding
        let gu = p > 0 ? pad2dBackward(gp, top: p, bottom: p, left: p, right: p, mode: .reflect) : gp
        return (spec.upsample ? upsampleNearestBackward(gu, factor: 2) : gu, grads)
    }

    static func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
        let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        var out = x
        let b = bias.scalars
        out.withUnsafeMutableBufferPointer { d in
            for img in 0..<n { for ch in 0..<c { for i in 0..<plane { d[(img * c + ch) * plane + i] += b[ch] } } }
        }
        return out
    }
}

/// What one layer's forward pass keeps: its blocks' activations and its output (for a residual
/// layer, input + the second block's output).
public struct LayerActivations {
    public let blocks: [BlockActivations]
    public let output: Tensor
}

/// Forward/backward through a chain of layers, keeping every layer's activations.
public struct ChainActivations {
    public var layers: [LayerActivations] = []
    public var output: Tensor { layers.last!.output }
}

public enum ChainTraining {
    public static func forward(_ layers: [LayerSpec], _ params: [String: Tensor], _ x: Tensor) -> ChainActivations {
        var acts = ChainActivations()
        var h = x
        for layer in layers {
            switch layer {
            case .conv(let spec):
                let a = BlockTraining.forward(spec, params, h)
                acts.layers.append(LayerActivations(blocks: [a], output: a.output))
            case .residual(let first, let second):
                let a = BlockTraining.forward(first, params, h)
                let b = BlockTraining.forward(second, params, a.output)
                acts.layers.append(LayerActivations(blocks: [a, b], output: add(h, b.output)))
            }
            h = acts.output
        }
        return acts
    }

    /// Backward through the chain; `gradients` accumulates parameter gradients (adding to any
    /// already there, as when a block is used twice in one step). Returns ∂L/∂input if asked.
    /// A residual layer passes its output gradient straight through beside its blocks' (y = x + B(A(x))).
    public static func backward(_ layers: [LayerSpec], _ params: [String: Tensor], _ acts: ChainActivations,
                                gradOutput: Tensor, inputGradient: Bool, weightGradients: Bool = true,
                                into gradients: inout [String: Tensor]) -> Tensor? {
        var g = gradOutput
        for (i, layer) in layers.enumerated().reversed() {
            let needInput = i > 0 || inputGradient
            let blocks = layer.blocks, a = acts.layers[i].blocks
            var gBlock: Tensor? = g
            for (j, spec) in blocks.enumerated().reversed() {
                let r = BlockTraining.backward(spec, params, a[j], gradOutput: gBlock!, inputGradient: j > 0 || needInput,
                                               weightGradients: weightGradients)
                for (k, v) in r.gradients { gradients[k] = gradients[k].map { add($0, v) } ?? v }
                gBlock = r.gradInput
            }
            guard needInput else { return nil }
            if case .residual = layer { g = add(g, gBlock!) } else { g = gBlock! }
        }
        return g
    }
}
