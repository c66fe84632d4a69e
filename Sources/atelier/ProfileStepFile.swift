import Foundation
import Models
import Tensor
import Training

/// One StyleBank training step's inputs and what our core computes from them, in a safetensors
/// file (`atelier profile --network stylebank-train|stylebank-learn --step-file FILE`), so that
/// another framework can run the same step on exactly the same numbers and check its losses
/// against ours before the two are timed (scripts/bench_train_peer.py).
///
/// Tensors (float32):
///   content, style_image      [1, 3, S, S] in 0…1: the content crop and the style image
///   gram.<layer>              [1, C, C]: the style image's Gram targets at the style layers
///   param.<name>              the trainer's parameters the step uses (encoder, decoder, bank.<id>)
///   grad.<name>               our gradients of the stylizing loss (the bank's alone when learning)
///   identity_grad.<name>      our gradients of the auto-encoder's identity loss (training only)
/// Metadata: mode (train | learn), style_id, size, loss_weights (a weight file's wording),
/// content_layers (layer=weight,…), style_layers, learning_rate, the losses as our core computed
/// them (content, style, tv, total, and identity when training; weighted, as `StepLosses` holds
/// them) and grad_norm / identity_grad_norm (the L2 norm over all gradients).
enum ProfileStepFile {
    static func write(trainer: StyleBankTrainer, styleID: Int, content x: Tensor, styleImage: Tensor,
                      loss: PerceptualLoss, learn: Bool, to url: URL) throws {
        let used = Set(trainer.architecture.layers(styles: [styleID]).flatMap(\.parameterNames))
        var tensors: [String: Tensor] = ["content": x, "style_image": styleImage]
        for (layer, gram) in loss.styleTargets(styleImage) { tensors["gram.\(layer)"] = gram }
        for (name, value) in trainer.parameters where used.contains(name) { tensors["param.\(name)"] = value }

        let stylizing = trainer.stylizingLossAndGradients(content: x, style: styleID, trainAutoencoder: !learn)
        for (name, g) in stylizing.gradients { tensors["grad.\(name)"] = g }
        let l = stylizing.losses
        let config = trainer.config
        var metadata = [
            "mode": learn ? "learn" : "train", "style_id": String(styleID), "size": String(x.shape[3]),
            "loss_weights": config.lossWeights.description,
            "content_layers": config.contentTerms.map { "\($0.layer)=\(number($0.weight))" }.joined(separator: ","),
            "style_layers": PerceptualLoss.styleLayers.joined(separator: ","),
            "learning_rate": number(config.learningRate),
            "content": number(l.content), "style": number(l.style), "tv": number(l.tv), "total": number(l.total),
            "grad_norm": number(norm(stylizing.gradients.values)),
        ]
        if !learn {
            let identity = trainer.identityLossAndGradients(content: x)
            for (name, g) in identity.gradients { tensors["identity_grad.\(name)"] = g }
            metadata["identity"] = number(identity.losses.identity)
            metadata["identity_grad_norm"] = number(norm(identity.gradients.values))
        }
        try SafeTensors.write(tensors, to: url, dtype: .f32, metadata: metadata)
        print("step file \(url.path): losses \(l), grad norm \(metadata["grad_norm"]!)")
    }

    /// Enough digits to read the same Float back.
    static func number(_ v: Float) -> String { String(format: "%.9g", v) }

    /// √(Σ g²) over every element of the tensors, summed in double precision.
    static func norm<S: Sequence>(_ tensors: S) -> Float where S.Element == Tensor {
        var sum = 0.0
        for t in tensors { t.withUnsafeBufferPointer { for v in $0 { sum += Double(v) * Double(v) } } }
        return Float(sum.squareRoot())
    }
}
