import XCTest
import Tensor

/// The backward passes chained by hand the way the StyleBank trainer will: a tiny encoder/decoder
/// (reflect padding, strided conv, conditional instance norm, nearest upsampling, sigmoid) scored by
/// a frozen VGG-like loss network (zero padding, conv, ReLU, max pooling) with style, content and
/// total-variation terms, checked end to end by finite differences.
final class GradientChainTests: XCTestCase {
    struct Weights {
        var encoder: Tensor, encoderBias: Tensor, gamma: Tensor, beta: Tensor
        var decoder: Tensor, decoderBias: Tensor
    }

    struct Problem {
        let image: Tensor, lossConv: Tensor, targetGram: Tensor, contentFeatures: Tensor

        /// Forward pass; returns the loss and what the backward pass needs.
        func forward(_ w: Weights) -> (loss: Double, saved: [String: Tensor]) {
            let padded = pad2d(image, top: 1, bottom: 1, left: 1, right: 1, mode: .reflect)
            let encoded = Conv2D(weight: w.encoder, bias: w.encoderBias, stride: 2)(padded)
            let normed = instanceNorm(encoded, gamma: w.gamma.scalars, beta: w.beta.scalars, activation: .sigmoid)
            let upsampled = pad2d(upsampleNearest(normed, factor: 2), top: 1, bottom: 1, left: 1, right: 1, mode: .reflect)
            let output = sigmoid(Conv2D(weight: w.decoder, bias: w.decoderBias)(upsampled))
            let vggInput = pad2d(output, top: 1, bottom: 1, left: 1, right: 1, mode: .zero)
            let activations = relu(Conv2D(weight: lossConv)(vggInput))
            let features = maxPool2x2(activations)
            let loss = Double(styleLoss(features: features, targetGram: targetGram).value)
                + Double(mseLoss(features, contentFeatures).value) + 0.1 * Double(totalVariationLoss(output).value)
            return (loss, ["padded": padded, "encoded": encoded, "upsampled": upsampled, "output": output,
                           "vggInput": vggInput, "activations": activations, "features": features])
        }

        /// Backward pass, written out layer by layer in reverse.
        func gradients(_ w: Weights) -> Weights {
            let s = forward(w).saved
            let features = s["features"]!, output = s["output"]!
            let gFeatures = add(styleLoss(features: features, targetGram: targetGram).gradient,
                                mseLoss(features, contentFeatures).gradient)
            let gActivations = maxPool2x2Backward(input: s["activations"]!, gradOutput: gFeatures)
            let gConvOut = reluBackward(s["activations"]!, gradOutput: gActivations)
            let gVggInput = conv2dBackward(input: s["vggInput"]!, weight: lossConv, gradOutput: gConvOut,
                                           computeWeightGradient: false).gradInput!          // frozen
            var gOutput = pad2dBackward(gVggInput, top: 1, bottom: 1, left: 1, right: 1, mode: .zero)
            let tv = totalVariationLoss(output).gradient
            gOutput = add(gOutput, Tensor(shape: tv.shape, values: tv.scalars.map { 0.1 * $0 }))
            let gDecoderOut = sigmoidBackward(output: output, gradOutput: gOutput)
            let dec = conv2dBackward(input: s["upsampled"]!, weight: w.decoder, gradOutput: gDecoderOut)
            let gNormed = upsampleNearestBackward(pad2dBackward(dec.gradInput!, top: 1, bottom: 1, left: 1, right: 1, mode: .reflect), factor: 2)
            let norm = instanceNormBackward(s["encoded"]!, gamma: w.gamma.scalars, beta: w.beta.scalars,
                                            gradOutput: gNormed, activation: .sigmoid)
            let enc = conv2dBackward(input: s["padded"]!, weight: w.encoder, stride: 2, gradOutput: norm.gradInput,
                                     computeInputGradient: false)                              // data input
            return Weights(encoder: enc.gradWeight!, encoderBias: enc.gradBias!,
                           gamma: Tensor(shape: w.gamma.shape, values: norm.gradGamma),
                           beta: Tensor(shape: w.beta.shape, values: norm.gradBeta),
                           decoder: dec.gradWeight!, decoderBias: dec.gradBias!)
        }
    }

    func testEncoderDecoderWithPerceptualLoss() {
        var rng = SeededValues(seed: 51)
        let problem = Problem(image: rng.tensor([1, 3, 12, 14]), lossConv: rng.tensor([5, 3, 3, 3]),
                              targetGram: gramMatrix(rng.tensor([1, 5, 6, 7])), contentFeatures: rng.tensor([1, 5, 6, 7]))
        let w = Weights(encoder: rng.tensor([4, 3, 3, 3]), encoderBias: rng.tensor([4]),
                        gamma: Tensor(shape: [4], values: (0..<4).map { _ in 1 + 0.5 * rng.next() }), beta: rng.tensor([4]),
                        decoder: rng.tensor([3, 4, 3, 3]), decoderBias: rng.tensor([3]))
        let g = problem.gradients(w)
        // ReLU and max pooling in the loss network make L piecewise smooth: a small step keeps
        // kink crossings rare and their effect on the sum small.
        var check = GradientCheck(seed: 52, epsilon: 1e-3)
        let tolerance = 1e-2
        check.check("chain ∂encoder", at: w.encoder, gradient: g.encoder, tolerance: tolerance) {
            var v = w; v.encoder = $0; return problem.forward(v).loss
        }
        // Instance norm subtracts each plane's mean, so a bias before it has no effect: ∂L/∂b = 0
        // up to rounding (and a relative finite-difference error would be meaningless).
        let largestWeightGradient = g.encoder.scalars.map(abs).max()!
        XCTAssertLessThan(g.encoderBias.scalars.map(abs).max()!, 1e-4 * largestWeightGradient)
        check.check("chain ∂γ", at: w.gamma, gradient: g.gamma, tolerance: tolerance) {
            var v = w; v.gamma = $0; return problem.forward(v).loss
        }
        check.check("chain ∂β", at: w.beta, gradient: g.beta, tolerance: tolerance) {
            var v = w; v.beta = $0; return problem.forward(v).loss
        }
        check.check("chain ∂decoder", at: w.decoder, gradient: g.decoder, tolerance: tolerance) {
            var v = w; v.decoder = $0; return problem.forward(v).loss
        }
        check.check("chain ∂decoder bias", at: w.decoderBias, gradient: g.decoderBias, tolerance: tolerance) {
            var v = w; v.decoderBias = $0; return problem.forward(v).loss
        }
    }
}
