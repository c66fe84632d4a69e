import Foundation
import ImageIO
import Models
import Service
import Tensor
import Training

/// `atelier eval-munit --photos DIR --paintings DIR [--weights munit.safetensors] [--seeds 8] [--size 256] [--sheet OUT.jpg]`:
/// MUNIT's generators on held-out photos, measured as the issue and the paper ask:
/// - diversity: the LPIPS-style distance (`PerceptualDistance`) between outputs of one photo with
///   different seeds, averaged over all pairs and photos (the paper's edges→shoes: 0.109);
/// - that it is not noise: the outputs' content loss to their photo (relu4_1, `ArbitraryStyleEvaluation`),
///   beside our StyleBank's on the same photos (its 12 built-in styles);
/// - example-guided outputs: the fraction nearer (VGG mean/std style distance) to their own
///   example painting than to every other example.
/// The sheet: each row a photo, its outputs for seeds 0…n−1, then guided by each painting.
enum EvalMUNITCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["photos", "paintings", "weights", "seeds", "size", "sheet", "models", "data", "max-images"])
        guard let photosDir = a.options["photos"], let paintingsDir = a.options["paintings"] else {
            throw CLIError("usage: atelier eval-munit --photos DIR --paintings DIR [--weights FILE] [--seeds 8] [--size 256] [--sheet OUT.jpg]")
        }
        let config = ServiceSetup.config(a)
        let weights = URL(fileURLWithPath: a.options["weights"] ?? config.modelsDirectory.appendingPathComponent(MUNITExport.fileName).path)
        let munit = try MUNITModel(weightsFile: weights)
        let size = try a.int("size") ?? 256, seeds = try a.int("seeds") ?? 8, limit = try a.int("max-images") ?? .max
        guard seeds >= 2 else { throw CLIError("--seeds must be at least 2 (diversity compares pairs)") }
        let vgg = try ServiceSetup.perceptualLoss(config)
        let photos = try ImageFolder.imageFiles(in: URL(fileURLWithPath: photosDir)).prefix(limit).map {
            let image = ImageFolder.shorterSide(try ServiceSetup.readImage($0.path, maxPixels: 50_000_000), size)
            return image.cropped(x: (image.width - size) / 2, y: (image.height - size) / 2, width: size, height: size)   // the central square
        }
        let paintingFiles = Array(ImageFolder.imageFiles(in: URL(fileURLWithPath: paintingsDir)).prefix(limit))
        let paintings = try paintingFiles.map { try ServiceSetup.readPainting($0.path) }
        guard !photos.isEmpty, paintings.count >= 2 else { throw CLIError("need photos and at least two paintings") }

        // Scales for the style and content measures, from these photos (as training measures them).
        let scales = AdaINTrainer.measureLayerScales(ImageFolder(images: photos), loss: vgg, cropSize: min(size, 256))
        let evaluation = ArbitraryStyleEvaluation(vgg: vgg, layerScales: scales)
        let lpips = PerceptualDistance(vgg: vgg)
        let paintingStats = paintings.map { evaluation.statistics(evaluation.features(ImageTensor.tensor(from: ImageFolder.shorterSide($0.image, size)))) }
        let stylebank = try? StyleBankModel(weightsFile: config.modelsDirectory.appendingPathComponent("stylebank.safetensors"))

        var diversity: [Float] = [], content: [Float] = [], stylebankContent: [Float] = []
        var guidedNearer = 0, guided = 0
        var rows: [[RGBImage]] = []
        for photo in photos {
            let x = ImageTensor.tensor(from: photo)
            let photoFeatures = evaluation.features(x)
            var row = [photo]
            var codes: [[String: Tensor]] = []
            for seed in 0..<seeds {
                let out = try munit.stylize(x, spec: StyleSpec(.seed(UInt64(seed))))
                row.append(ImageTensor.image(from: out))
                codes.append(lpips.features(out))
                content.append(evaluation.contentLoss(evaluation.features(out), photo: photoFeatures))
            }
            for i in 0..<seeds { for j in (i + 1)..<seeds { diversity.append(lpips.distance(codes[i], codes[j])) } }
            for (k, painting) in paintings.enumerated() {
                let p = AtelierService.painting(painting.image, bytes: painting.bytes, styleSize: munit.defaultStyleSize)
                let out = try munit.stylize(x, spec: StyleSpec(.paintings([(painting: p, weight: Float(1))])))
                row.append(ImageTensor.image(from: out))
                let stats = evaluation.statistics(evaluation.features(out))
                let own = evaluation.styleDistance(stats, paintingStats[k])
                let others = paintingStats.indices.filter { $0 != k }.map { evaluation.styleDistance(stats, paintingStats[$0]) }
                guided += 1
                if own < others.min()! { guidedNearer += 1 }
            }
            if let stylebank {
                for style in stylebank.styles.prefix(12) {
                    let out = try stylebank.stylize(x, spec: .style(style.id))
                    stylebankContent.append(evaluation.contentLoss(evaluation.features(out), photo: photoFeatures))
                }
            }
            rows.append(row)
        }
        func mean(_ v: [Float]) -> Float { v.isEmpty ? .nan : v.reduce(0, +) / Float(v.count) }
        print("MUNIT \(weights.lastPathComponent) (iteration \(munit.iteration)): \(photos.count) photos at \(size)², \(seeds) seeds, \(paintings.count) example paintings")
        print(String(format: "diversity (LPIPS-style distance between seeds, mean of %d pairs): %.4f", diversity.count, mean(diversity)))
        print(String(format: "content loss to the photo (relu4_1): MUNIT %.3f, StyleBank %@ (ratio %@)", mean(content),
                     stylebankContent.isEmpty ? "n/a" : String(format: "%.3f", mean(stylebankContent)),
                     stylebankContent.isEmpty ? "n/a" : String(format: "%.2f", mean(content) / mean(stylebankContent))))
        print("example-guided nearer their own example than every other: \(guidedNearer)/\(guided)")
        if let sheet = a.options["sheet"] {
            let image = ContactSheet.rows(rows, gap: 4)
            let data = sheet.lowercased().hasSuffix(".png") ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: 88)
            try Data(data).write(to: URL(fileURLWithPath: sheet))
            print("\(sheet): rows = photos; the photo, seeds 0–\(seeds - 1), then guided by \(paintingFiles.map(\.lastPathComponent).joined(separator: ", "))")
        }
    }
}
