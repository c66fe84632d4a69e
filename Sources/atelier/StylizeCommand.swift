import Foundation
import ImageIO
import Service

enum StylizeCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: ["preserve-color"])
        try a.checkKnown(["style", "style-image", "seed", "alpha", "style-size", "model", "strength", "preserve-color", "max-size", "quality", "data", "models"])
        guard a.positional.count == 2 else { throw CLIError("usage: atelier stylize IN OUT [--style 3 | --style-image PAINTING[,PAINTING…] [--alpha 1] | --seed S (munit)] …") }
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel,
                                                 defaultArbitraryModel: config.defaultArbitraryModel)
        let input = try ServiceSetup.readImage(a.positional[0], maxPixels: config.maxInputPixels)
        let paintings = try (a.options["style-image"]?.split(separator: ",").map(String.init) ?? []).map(ServiceSetup.readPainting)
        let start = Date()
        let result = try OfflineStylizer(registry: registry, config: config).run(
            input, model: a.options["model"], style: a.options["style"] ?? "0", paintings: paintings, alpha: try a.float("alpha") ?? 1,
            styleSize: try a.int("style-size"), strength: try a.float("strength") ?? 1,
            preserveColor: a.flags.contains("preserve-color"), maxSide: try a.int("max-size"),
            seed: try a.int("seed").map { UInt64(max($0, 0)) })
        try ServiceSetup.writeImage(result, to: a.positional[1], quality: try a.int("quality") ?? 92)
        print(String(format: "%@: %d×%d in %.2f s", a.positional[1], result.width, result.height, Date().timeIntervalSince(start)))
    }
}

enum ContactSheetCommand {
    /// One row per photo and model: the photo, then the model's styles in id order.
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["tile", "model", "max-styles", "columns", "paintings", "alpha", "style-size", "data", "models"])
        guard a.positional.count >= 2 else {
            throw CLIError("usage: atelier contact-sheet IN... OUT [--tile 256] [--model stylebank,multistyle26] [--max-styles N] [--columns N] [--paintings P1,P2,… [--alpha A] [--style-size S]]")
        }
        if let list = a.options["paintings"] { return try paintingSheet(a, paintings: list.split(separator: ",").map(String.init)) }
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel,
                                                 defaultArbitraryModel: config.defaultArbitraryModel)
        let names = a.options["model"].map { $0.split(separator: ",").map(String.init) } ?? [registry.defaultModel]
        let models = try names.map { name -> StyleModel in
            guard let model = registry.model(named: name) else { throw CLIError("unknown model \(name)") }
            return model
        }
        let tile = try a.int("tile") ?? 256, maxStyles = try a.int("max-styles") ?? .max
        let stylizer = OfflineStylizer(registry: registry, config: config)
        var rows: [[RGBImage]] = []
        for path in a.positional.dropLast() {
            let photo = try ServiceSetup.readImage(path, maxPixels: config.maxInputPixels).fitted(maxSide: tile)
            for model in models {
                rows.append(try [photo] + model.styles.prefix(maxStyles).map {
                    try stylizer.run(photo, model: model.name, style: String($0.id), maxSide: tile)
                })
            }
        }
        let out = a.positional.last!
        // --columns wraps the tiles instead (one photo, one model, many styles).
        let sheet = try a.int("columns").map { ContactSheet.grid(rows.flatMap { $0 }, columns: $0, gap: 6) } ?? ContactSheet.rows(rows, gap: 6)
        try ServiceSetup.writeImage(sheet, to: out, quality: 90)
        print("\(out): \(rows.count) rows (photo × model: \(names.joined(separator: ", "))), each the photo then its styles by id")
    }
}

extension ContactSheetCommand {
    /// Arbitrary style: a first row of the paintings, then one row per photo and model, the photo
    /// followed by it in each painting's style.
    static func paintingSheet(_ a: Arguments, paintings paths: [String]) throws {
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel,
                                                 defaultArbitraryModel: config.defaultArbitraryModel)
        let names = a.options["model"].map { $0.split(separator: ",").map(String.init) } ?? [registry.defaultArbitraryModel ?? "adain"]
        let tile = try a.int("tile") ?? 256, alpha = try a.float("alpha") ?? 1
        let styleSize = try a.int("style-size")
        let paintings = try paths.map(ServiceSetup.readPainting)
        let stylizer = OfflineStylizer(registry: registry, config: config)
        let blank = RGBImage(width: 1, height: 1, pixels: [255, 255, 255])
        var rows: [[RGBImage]] = [[blank] + paintings.map { $0.image.fitted(maxSide: tile) }]
        for path in a.positional.dropLast() {
            let photo = try ServiceSetup.readImage(path, maxPixels: config.maxInputPixels).fitted(maxSide: tile)
            for name in names {
                rows.append(try [photo] + paintings.map {
                    try stylizer.run(photo, model: name, paintings: [$0], alpha: alpha, styleSize: styleSize, maxSide: tile)
                })
            }
        }
        let out = a.positional.last!
        try ServiceSetup.writeImage(ContactSheet.rows(rows, gap: 6), to: out, quality: 90)
        print("\(out): the paintings, then \(rows.count - 1) rows (photo × model: \(names.joined(separator: ", "))), each the photo then it in each painting's style")
    }
}

/// Lays equally sized images out on a white grid.
enum ContactSheet {
    /// Rows of tiles, each tile in a cell as large as the largest image.
    static func rows(_ rows: [[RGBImage]], gap: Int) -> RGBImage {
        let columns = rows.map(\.count).max() ?? 1
        return grid(rows.flatMap { $0 + [RGBImage](repeating: RGBImage(width: 1, height: 1, pixels: [255, 255, 255]), count: columns - $0.count) },
                    columns: columns, gap: gap)
    }

    static func grid(_ images: [RGBImage], columns: Int, gap: Int) -> RGBImage {
        let w = images.map(\.width).max()!, h = images.map(\.height).max()!
        let rows = (images.count + columns - 1) / columns
        let sw = columns * (w + gap) + gap, sh = rows * (h + gap) + gap
        var pixels = [UInt8](repeating: 255, count: sw * sh * 3)
        for (n, img) in images.enumerated() {
            let x0 = gap + (n % columns) * (w + gap), y0 = gap + (n / columns) * (h + gap)
            for y in 0..<min(h, img.height) {
                for x in 0..<min(w, img.width) {
                    for c in 0..<3 { pixels[((y0 + y) * sw + x0 + x) * 3 + c] = img.pixels[(y * img.width + x) * 3 + c] }
                }
            }
        }
        return RGBImage(width: sw, height: sh, pixels: pixels)
    }
}
