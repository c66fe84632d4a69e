import Foundation
import ImageIO
import Models
import Service
import Tensor
import Training

/// `atelier eval-arbitrary --content DIR --paintings DIR [--size 384] [--model adain[,magenta]] [--alpha 1] [--style-size N]`:
/// every photo × painting through each arbitrary-style model, scored by `ArbitraryStyleEvaluation`
/// at `size` (photos' and paintings' shorter side; each model scales the painting to its own
/// default style size for stylizing, as the service does, unless `--style-size` is given): the style distance to its own painting,
/// whether it is nearer its own than every other painting, and the content loss to its photo.
/// The layer scales are the AdaIN decoder file's, so scores compare across snapshots.
enum EvalArbitraryCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["content", "paintings", "size", "model", "alpha", "models", "data", "max-images", "style-size"])
        guard let contentDir = a.options["content"], let paintingsDir = a.options["paintings"] else {
            throw CLIError("usage: atelier eval-arbitrary --content DIR --paintings DIR [--size 384] [--model adain[,magenta]] [--alpha 1]")
        }
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel,
                                                 defaultArbitraryModel: config.defaultArbitraryModel)
        let names = a.options["model"].map { $0.split(separator: ",").map(String.init) } ?? registry.models.values.filter(\.isArbitrary).map(\.name).sorted()
        let size = try a.int("size") ?? 384, styleSize = try a.int("style-size"), alpha = try a.float("alpha") ?? 1, limit = try a.int("max-images") ?? .max
        let decoder = try AdaINExport.read(config.modelsDirectory.appendingPathComponent(AdaINExport.fileName))
        guard !decoder.layerScales.isEmpty else { throw CLIError("the AdaIN decoder file records no layer scales") }
        let evaluation = ArbitraryStyleEvaluation(
            vgg: try ServiceSetup.perceptualLoss(config),
            layerScales: decoder.layerScales)
        let photoFiles = Array(ImageFolder.imageFiles(in: URL(fileURLWithPath: contentDir)).prefix(limit))
        let paintingFiles = Array(ImageFolder.imageFiles(in: URL(fileURLWithPath: paintingsDir)).prefix(limit))
        guard !photoFiles.isEmpty, paintingFiles.count >= 2 else { throw CLIError("need photos and at least two paintings") }
        let paintings = try paintingFiles.map { try ServiceSetup.readPainting($0.path) }
        let paintingStats = paintings.map { evaluation.statistics(evaluation.features(ImageTensor.tensor(from: ImageFolder.shorterSide($0.image, size)))) }
        let stylizer = OfflineStylizer(registry: registry, config: config)

        print("| model | photo | painting | style distance (own) | nearest other | nearer own | content loss (relu4_1) |")
        print("|---|---|---|---:|---:|---|---:|")
        var summary: [String] = [], byLayer: [String] = []
        for name in names {
            var distances: [Float] = [], contents: [Float] = [], nearer = 0
            var terms = [(mean: Float, std: Float)](repeating: (0, 0), count: AdaINArchitecture.styleLayers.count)
            for file in photoFiles {
                let photo = ImageFolder.shorterSide(try ServiceSetup.readImage(file.path, maxPixels: config.maxInputPixels), size)
                let photoFeatures = evaluation.features(ImageTensor.tensor(from: photo))
                for (j, painting) in paintings.enumerated() {
                    let out = try stylizer.run(photo, model: name, paintings: [painting], alpha: alpha, styleSize: styleSize, maxSide: max(photo.width, photo.height))
                    let outFeatures = evaluation.features(ImageTensor.tensor(from: out))
                    let stats = evaluation.statistics(outFeatures)
                    let own = evaluation.styleDistance(stats, paintingStats[j])
                    for (k, t) in evaluation.styleDistanceTerms(stats, paintingStats[j]).enumerated() {
                        terms[k].mean += t.mean / Float(photoFiles.count * paintings.count)
                        terms[k].std += t.std / Float(photoFiles.count * paintings.count)
                    }
                    let other = paintingStats.indices.filter { $0 != j }.map { evaluation.styleDistance(stats, paintingStats[$0]) }.min()!
                    let content = evaluation.contentLoss(outFeatures, photo: photoFeatures)
                    distances.append(own); contents.append(content)
                    if own < other { nearer += 1 }
                    print(String(format: "| %@ | %@ | %@ | %.4f | %.4f | %@ | %.4f |", name, file.lastPathComponent, paintingFiles[j].lastPathComponent,
                                 own, other, own < other ? "yes" : "no", content))
                }
            }
            let mean = { (xs: [Float]) in xs.reduce(0, +) / Float(xs.count) }
            summary.append(String(format: "| %@ | %d/%d | %.4f | %.4f |", name, nearer, distances.count, mean(distances), mean(contents)))
            byLayer.append("| \(name) | " + terms.map { String(format: "%.4f | %.4f", $0.mean, $0.std) }.joined(separator: " | ") + " |")
        }
        print("\n| model | nearer own painting | mean style distance | mean content loss |\n|---|---|---:|---:|")
        summary.forEach { print($0) }
        // Where the distance comes from: each layer's mean and std terms, averaged over the pairs.
        let layerNames = AdaINArchitecture.styleLayers.map { $0.replacingOccurrences(of: "block", with: "relu").replacingOccurrences(of: "_conv", with: "_") }
        print("\n| model | " + layerNames.map { "\($0) μ | \($0) σ" }.joined(separator: " | ") + " |\n|---|" + String(repeating: "---:|", count: 2 * layerNames.count))
        byLayer.forEach { print($0) }
        print("\n(\(photoFiles.count) photos from \(contentDir) × \(paintings.count) paintings from \(paintingsDir), at \(size) px, alpha \(alpha), style size \(styleSize.map(String.init) ?? "each model's default"); decoder iteration \(decoder.iteration))")
    }
}
