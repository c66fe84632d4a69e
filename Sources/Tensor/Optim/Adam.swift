import Foundation

/// Adam (Kingma & Ba 2015) over a fixed list of parameter tensors. At step t (from 1), for each
/// parameter θ with gradient g:
///
///   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
///   m̂ = m / (1 − β1ᵗ)              v̂ = v / (1 − β2ᵗ)
///   θ ← θ − lr · m̂ / (√v̂ + ε)
///
/// With `weightDecay` λ > 0, g is first replaced by g + λ·θ (an L2 penalty, as PyTorch's
/// `Adam(weight_decay:)` applies it), inside the same pass over the parameter.
///
/// Element-wise and sequential, so results are bit-for-bit reproducible. The moments and the step
/// count round-trip through `state` / `init(state:)` for checkpoints; the learning rate (and the
/// β's and ε) are the caller's to set again on resume, so a schedule can change them.
public struct Adam {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// λ of the L2 penalty folded into the gradient (0: none); the caller's to set, like the rate.
    public var weightDecay: Float = 0
    /// Updates applied so far (t of the last update).
    public private(set) var step: Int
    /// m and v, one tensor per parameter, shaped like it.
    public private(set) var firstMoments: [Tensor]
    public private(set) var secondMoments: [Tensor]

    public init(parameterShapes: [[Int]], learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        step = 0
        firstMoments = parameterShapes.map { Tensor(zeros: $0) }
        secondMoments = parameterShapes.map { Tensor(zeros: $0) }
    }

    /// One update of every parameter from its gradient (same order and shapes as at creation).
    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == firstMoments.count && gradients.count == firstMoments.count,
                     "Adam holds \(firstMoments.count) parameters, got \(parameters.count) and \(gradients.count) gradients")
        step += 1
        let firstCorrection = Float(1 - pow(Double(beta1), Double(step)))
        let secondCorrection = Float(1 - pow(Double(beta2), Double(step)))
        let (b1, b2, lr, eps, wd) = (beta1, beta2, learningRate, epsilon, weightDecay)
        for k in parameters.indices {
            precondition(parameters[k].shape == firstMoments[k].shape && gradients[k].shape == firstMoments[k].shape,
                         "Adam parameter \(k): \(parameters[k].shape) / gradient \(gradients[k].shape), expected \(firstMoments[k].shape)")
            parameters[k].withUnsafeMutableBufferPointer { theta in
                firstMoments[k].withUnsafeMutableBufferPointer { m in
                    secondMoments[k].withUnsafeMutableBufferPointer { v in
                        gradients[k].withUnsafeBufferPointer { g in
                            Self.move(theta.baseAddress!, m.baseAddress!, v.baseAddress!, g.baseAddress!, count: theta.count,
                                      b1: b1, b2: b2, lr: lr, eps: eps, wd: wd, c1: firstCorrection, c2: secondCorrection)
                        }
                    }
                }
            }
        }
    }

    /// The update of one parameter, 8 lanes at a time then one by one: the same operations in
    /// the same order in every lane (no fused multiply-add), so the result does not depend on
    /// where an element falls. The scalar loop's divisions and square root did not vectorize on
    /// their own (the pointers may alias) and took 81 ms of a MUNIT training step.
    private static func move(_ theta: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                             _ g: UnsafePointer<Float>, count: Int, b1: Float, b2: Float, lr: Float, eps: Float, wd: Float,
                             c1: Float, c2: Float) {
        typealias V = SIMD8<Float>
        @inline(__always) func step<T: SIMD>(_ t: inout T, _ m: inout T, _ v: inout T, _ gradient: T) where T.Scalar == Float {
            // With λ = 0 the gradient is used as it is (not g + 0·θ, whose zero's sign could differ).
            let g = wd == 0 ? gradient : gradient + t * wd
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            let mHat = m / c1, vHat = v / c2
            t -= lr * mHat / (vHat.squareRoot() + eps)
        }
        let raw = (UnsafeMutableRawPointer(theta), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v), UnsafeRawPointer(g))
        var i = 0
        while i + V.scalarCount <= count {
            let o = i * MemoryLayout<Float>.stride
            var (tv, mv, vv) = (raw.0.loadUnaligned(fromByteOffset: o, as: V.self), raw.1.loadUnaligned(fromByteOffset: o, as: V.self),
                                raw.2.loadUnaligned(fromByteOffset: o, as: V.self))
            step(&tv, &mv, &vv, raw.3.loadUnaligned(fromByteOffset: o, as: V.self))
            raw.0.storeBytes(of: tv, toByteOffset: o, as: V.self)
            raw.1.storeBytes(of: mv, toByteOffset: o, as: V.self)
            raw.2.storeBytes(of: vv, toByteOffset: o, as: V.self)
            i += V.scalarCount
        }
        while i < count {
            var (tv, mv, vv) = (SIMD2(theta[i], 0), SIMD2(m[i], 0), SIMD2(v[i], 0))
            step(&tv, &mv, &vv, SIMD2(g[i], 0))
            (theta[i], m[i], v[i]) = (tv[0], mv[0], vv[0])
            i += 1
        }
    }

    /// The optimizer state for a checkpoint: "adam.step" (a one-element tensor, exact up to 2²⁴
    /// steps), "adam.m.<k>" and "adam.v.<k>" for parameter k.
    public var state: [String: Tensor] {
        precondition(step <= 1 << 24, "step \(step) does not fit a float exactly")
        var s = ["adam.step": Tensor(shape: [1], values: [Float(step)])]
        for k in firstMoments.indices {
            s["adam.m.\(k)"] = firstMoments[k]
            s["adam.v.\(k)"] = secondMoments[k]
        }
        return s
    }

    public enum StateError: Error, Equatable {
        case missing(String)
        case shapeMismatch(key: String, expected: [Int], found: [Int])
    }

    /// Resumes from `state` (as written by `state`), checking it against the parameters' shapes.
    public init(state: [String: Tensor], parameterShapes: [[Int]], learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) throws {
        self.init(parameterShapes: parameterShapes, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        guard let stepTensor = state["adam.step"], stepTensor.count == 1 else { throw StateError.missing("adam.step") }
        step = Int(stepTensor[0])
        for k in parameterShapes.indices {
            for (key, isFirst) in [("adam.m.\(k)", true), ("adam.v.\(k)", false)] {
                guard let t = state[key] else { throw StateError.missing(key) }
                guard t.shape == parameterShapes[k] else {
                    throw StateError.shapeMismatch(key: key, expected: parameterShapes[k], found: t.shape)
                }
                if isFirst { firstMoments[k] = t } else { secondMoments[k] = t }
            }
        }
    }
}
