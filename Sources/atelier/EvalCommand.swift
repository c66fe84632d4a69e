import Foundation
import ImageIO
import Models
import Tensor
import Training

/// `atelier eval-stylebank WEIGHTS --content DIR --styles DIR [--size 256] [--style-size N] [--reference multistyle26]`:
/// the training losses of a StyleBank weights file on every photo of DIR × every style it holds
/// (style images found in --styles by the source names the file records), to compare snapshots.
/// `--reference multistyle26` adds that network's content loss on the same photos (mean over its
/// 26 styles; its styles are other paintings, so only content compares). The relu2_2 column is the
/// unweighted MSE of relu2_2 features to the photo's: edges and flat areas kept or painted over.
enum EvalCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["content", "styles", "size", "style-size", "models", "content-weight", "style-weight", "max-images", "reference"])
        guard a.positional.count == 1, let contentDir = a.options["content"], let stylesDir = a.options["styles"] else {
            throw CLIError("usage: atelier eval-stylebank WEIGHTS --content DIR --styles DIR [--size 256] [--style-size N]")
        }
        let config = ServiceSetup.config(a)
        let file = try StyleBankExport.read(URL(fileURLWithPath: a.positional[0]))
        let network = try StyleBankNetwork(weights: file.weights, styles: file.styles.map(\.id))
        // Style targets at the file's own style size unless told (to score files on common targets).
        let size = try a.int("size") ?? 256, styleSize = try a.int("style-size") ?? file.styleSize
        // Each photo at shorter side `size`, its centre cropped to multiples of 4 (the network's grid).
        let photos = try ImageFolder(directory: URL(fileURLWithPath: contentDir), keepSide: size, limit: try a.int("max-images") ?? .max).images.map { image in
            let (w, h) = (image.width / 4 * 4, image.height / 4 * 4)
            return ImageTensor.tensor(from: image.cropped(x: (image.width - w) / 2, y: (image.height - h) / 2, width: w, height: h))
        }
        var styleImages: [Int: Tensor] = [:]
        for style in file.styles {
            let path = URL(fileURLWithPath: stylesDir).appendingPathComponent(style.source).path
            styleImages[style.id] = ImageTensor.tensor(from: ImageFolder.shorterSide(try ServiceSetup.readImage(path, maxPixels: config.maxInputPixels), styleSize))
        }
        let vgg = try ServiceSetup.perceptualLoss(config)
        let defaults = StyleBankTrainingConfig()
        let contentWeight = try a.float("content-weight") ?? defaults.contentWeight
        let result = StyleBankEvaluation(network: network, photos: photos, styleImages: styleImages, loss: vgg,
                                         contentWeight: contentWeight, styleWeight: try a.float("style-weight") ?? defaults.styleWeight)
        print("\(a.positional[0]): iteration \(file.iteration), \(network.architecture), \(photos.count) photos at \(size) px, styles at \(styleSize)")
        print("style\tname\tcontent\tstyle\ttotal\trelu2_2")
        let names = Dictionary(uniqueKeysWithValues: file.styles.map { ($0.id, $0.name) })
        for s in result.styles {
            print(String(format: "%d\t%@\t%.4g\t%.4g\t%.4g\t%.4g", s.style, names[s.style] ?? "?", s.content, s.styleLoss, s.total, s.shallowContent))
        }
        print(String(format: "mean\t-\t%.4g\t%.4g\t%.4g\t%.4g\nidentity MSE\t%.5f", result.meanContent, result.meanStyle,
                     result.meanContent + result.meanStyle, result.meanShallowContent, result.identity))
        print(String(format: "identity content\t%.4g (relu2_2 %.4g)", result.identityContent, result.identityShallowContent))
        switch a.options["reference"] {
        case nil: break
        case "multistyle26":
            let reference = try MultiStyleNetwork(weights: SafeTensors.load(config.modelsDirectory.appendingPathComponent("multistyle26.safetensors")).tensors)
            let perStyle = (0..<26).map { style -> (content: Float, shallow: Float) in
                var weights = [Float](repeating: 0, count: 26)
                weights[style] = 1
                return StyleBankEvaluation.meanContentLoss(photos.map { reference($0, styleWeights: weights) }, targets: result.contentTargets,
                                                           loss: vgg, weight: contentWeight)
            }
            let content = perStyle.map(\.content), shallow = perStyle.map(\.shallow)
            print(String(format: "multistyle26 content\t%.4g (mean of its 26 styles; range %.4g–%.4g); relu2_2 %.4g (%.4g–%.4g)",
                         content.reduce(0, +) / 26, content.min()!, content.max()!, shallow.reduce(0, +) / 26, shallow.min()!, shallow.max()!))
        case let other?: throw CLIError("--reference takes multistyle26, not '\(other)'")
        }
    }
}
