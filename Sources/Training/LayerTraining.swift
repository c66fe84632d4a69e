import Dispatch
import Models
import Tensor

/// What a `[Layer]`'s forward pass keeps for its backward pass: per layer, the tensor its
/// gradient needs (a conv's padded input, a norm's input, an activation's output …) and, for a
/// residual layer, its body's trace.
public struct NetworkTrace {
    public struct Entry {
        let saved: Tensor
        let inputShape: [Int]
        let body: NetworkTrace?
        /// A folded upsampling convolution and its input (`saved` is the input padded by replication).
        var folded: (conv: UpsampledConv, input: Tensor)? = nil
    }
    var entries: [Entry] = []
    public internal(set) var output: Tensor

    init(output: Tensor) { self.output = output }
}

/// Gradients with respect to the AdaIN inputs of a forward pass, by index (as `AdaptiveParameters`).
public typealias AdaptiveGradients = [Int: (scale: Tensor, shift: Tensor)]

/// Training any `[Layer]` network: a forward pass that keeps its trace and the backward pass
/// through it, giving the parameters' gradients (added into a dictionary, so a network used
/// several times in one step accumulates), the AdaIN inputs' gradients, and ∂L/∂x. MUNIT's
/// encoders, MLP, decoder and discriminators are all trained through it.
public enum LayerTraining {
    /// When set, every layer's backward pass is timed into it under its kind and shape
    /// (`atelier profile --network munit-train` sets it; the step is single-threaded at this level).
    nonisolated(unsafe) public static var layerClock: PhaseClock?

    public static func forward(_ layers: [Layer], _ p: [String: Tensor], _ x: Tensor, adaptive: AdaptiveParameters = []) -> NetworkTrace {
        var trace = NetworkTrace(output: x)
        var h = x
        for layer in layers {
            let (y, entry) = forward(layer, p, h, adaptive)
            trace.entries.append(entry)
            h = y
        }
        trace.output = h
        return trace
    }

    /// ∂L/∂x from gy = ∂L/∂output (nil when `inputGradient` is false). Parameter gradients are
    /// added into `gradients` unless `weightGradients` is false (a network that is only passed
    /// through, as the discriminators in the generators' step); AdaIN inputs' into `adaptiveGradients`.
    @discardableResult
    public static func backward(_ layers: [Layer], _ p: [String: Tensor], _ trace: NetworkTrace, gradOutput: Tensor,
                                adaptive: AdaptiveParameters = [], inputGradient: Bool = true, weightGradients: Bool = true,
                                into gradients: inout [String: Tensor], adaptiveGradients: inout AdaptiveGradients) -> Tensor? {
        var g = gradOutput
        for (i, layer) in layers.enumerated().reversed() {
            let needInput = i > 0 || inputGradient
            let start = layerClock == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let result = backward(layer, p, trace.entries[i], g, adaptive, needInput: needInput, weightGradients: weightGradients,
                                  &gradients, &adaptiveGradients)
            if let clock = layerClock, !layer.isResidual {
                clock.add(label(layer, trace.entries[i].inputShape), seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            guard let gx = result else { return nil }
            g = gx
        }
        return g
    }

    /// `backward` for a network without AdaIN inputs.
    @discardableResult
    public static func backward(_ layers: [Layer], _ p: [String: Tensor], _ trace: NetworkTrace, gradOutput: Tensor,
                                inputGradient: Bool = true, weightGradients: Bool = true, into gradients: inout [String: Tensor]) -> Tensor? {
        var unused: AdaptiveGradients = [:]
        return backward(layers, p, trace, gradOutput: gradOutput, inputGradient: inputGradient, weightGradients: weightGradients,
                        into: &gradients, adaptiveGradients: &unused)
    }

    /// A layer's kind and input shape, for `layerClock`.
    static func label(_ layer: Layer, _ shape: [Int]) -> String {
        let at = shape.count == 4 ? "\(shape[2])×\(shape[3])" : "\(shape)"
        switch layer {
        case .conv(let c): return "∂ conv \(c.kernel)×\(c.kernel)\(c.upsample ? " up" : "") s\(c.stride) \(c.inChannels)→\(c.outChannels) at \(at)"
        case .instanceNorm: return "∂ instance norm"
        case .layerNorm: return "∂ layer norm"
        case .adaptiveInstanceNorm: return "∂ AdaIN"
        case .relu, .leakyReLU, .tanh: return "∂ activation"
        case .globalAveragePool, .linear: return "∂ pool, linear"
        case .residual: return "∂ residual"
        }
    }

    static func forward(_ layer: Layer, _ p: [String: Tensor], _ x: Tensor, _ adaptive: AdaptiveParameters) -> (Tensor, NetworkTrace.Entry) {
        switch layer {
        case .conv(let c) where c.foldsUpsampling:
            let xp = replicatePad1(x)
            let conv = UpsampledConv(weight: p["\(c.name).weight"]!, bias: c.bias ? p["\(c.name).bias"]! : nil)
            return (conv(x, replicatePadded: xp), .init(saved: xp, inputShape: x.shape, body: nil, folded: (conv, x)))
        case .conv(let c):
            let padded = c.padded(c.upsample ? upsampleNearest(x, factor: 2) : x)
            let y = Conv2D(weight: p["\(c.name).weight"]!, bias: c.bias ? p["\(c.name).bias"]! : nil, stride: c.stride)(padded)
            return (y, .init(saved: padded, inputShape: x.shape, body: nil))
        case .residual(let body):
            let t = forward(body, p, x, adaptive: adaptive)
            return (add(x, t.output), .init(saved: x, inputShape: x.shape, body: t))
        case .relu, .tanh:
            let y = layer.forward(x, p, adaptive: adaptive)
            return (y, .init(saved: y, inputShape: x.shape, body: nil))
        case .instanceNorm, .layerNorm, .adaptiveInstanceNorm, .leakyReLU, .globalAveragePool, .linear:
            return (layer.forward(x, p, adaptive: adaptive), .init(saved: x, inputShape: x.shape, body: nil))
        }
    }

    static func backward(_ layer: Layer, _ p: [String: Tensor], _ e: NetworkTrace.Entry, _ gy: Tensor, _ adaptive: AdaptiveParameters,
                         needInput: Bool, weightGradients: Bool,
                         _ grads: inout [String: Tensor], _ adaptiveGrads: inout AdaptiveGradients) -> Tensor? {
        func accumulate(_ name: String, _ g: Tensor) {
            guard weightGradients else { return }
            grads[name] = grads[name].map { add($0, g) } ?? g
        }
        switch layer {
        case .conv(let c):
            let r = if let folded = e.folded {
                upsampledConvBackward(folded.conv, input: folded.input, replicatePadded: e.saved, gradOutput: gy,
                                      computeInputGradient: needInput, computeWeightGradient: weightGradients)
            } else {
                conv2dBackward(input: e.saved, weight: p["\(c.name).weight"]!, stride: c.stride, gradOutput: gy,
                               computeInputGradient: needInput, computeWeightGradient: weightGradients)
            }
            if weightGradients {
                accumulate("\(c.name).weight", r.gradWeight!)
                if c.bias { accumulate("\(c.name).bias", r.gradBias!) }
            }
            guard needInput, let gp = r.gradInput else { return nil }
            if e.folded != nil { return gp }   // already ∂x of the layer's input
            let q = c.padding
            let gu = q > 0 ? pad2dBackward(gp, top: q, bottom: q, left: q, right: q, mode: c.padMode) : gp
            return c.upsample ? upsampleNearestBackward(gu, factor: 2) : gu
        case .instanceNorm(let name, _):
            let r = instanceNormBackward(e.saved, gamma: p["\(name).gamma"]!.scalars, gradOutput: gy)
            accumulate("\(name).gamma", Tensor(shape: [r.gradGamma.count], values: r.gradGamma))
            accumulate("\(name).beta", Tensor(shape: [r.gradBeta.count], values: r.gradBeta))
            return r.gradInput
        case .layerNorm(let name, _):
            let r = layerNormBackward(e.saved, gamma: p["\(name).gamma"]!.scalars, gradOutput: gy)
            accumulate("\(name).gamma", Tensor(shape: [r.gradGamma.count], values: r.gradGamma))
            accumulate("\(name).beta", Tensor(shape: [r.gradBeta.count], values: r.gradBeta))
            return r.gradInput
        case .adaptiveInstanceNorm(let index, _):
            let r = adaptiveInstanceNormBackward(e.saved, scale: adaptive[index].scale, gradOutput: gy)
            let old = adaptiveGrads[index]
            adaptiveGrads[index] = (old.map { add($0.scale, r.gradScale) } ?? r.gradScale, old.map { add($0.shift, r.gradShift) } ?? r.gradShift)
            return r.gradInput
        case .relu: return reluBackward(e.saved, gradOutput: gy)
        case .leakyReLU(let slope): return leakyReLUBackward(e.saved, slope: slope, gradOutput: gy)
        case .tanh: return hyperbolicTangentBackward(output: e.saved, gradOutput: gy)
        case .residual(let body):
            // y = x + f(x): the gradient passes straight through beside the body's.
            let gBody = backward(body, p, e.body!, gradOutput: gy, adaptive: adaptive, inputGradient: true,
                                 weightGradients: weightGradients, into: &grads, adaptiveGradients: &adaptiveGrads)!
            return add(gy, gBody)
        case .globalAveragePool:
            return globalAveragePoolBackward(gradOutput: gy, height: e.inputShape[2], width: e.inputShape[3])
        case .linear(let name, let inputs, let outputs):
            let n = e.inputShape[0]
            let r = linearBackward(e.saved.reshaped([n, inputs]), weight: p["\(name).weight"]!, gradOutput: gy.reshaped([n, outputs]))
            accumulate("\(name).weight", r.gradWeight)
            accumulate("\(name).bias", r.gradBias)
            return r.gradInput.reshaped(e.inputShape)
        }
    }
}

extension Layer {
    var isResidual: Bool { if case .residual = self { true } else { false } }
}
