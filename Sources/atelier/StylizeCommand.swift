import Foundation
import ImageIO
import Service

enum StylizeCommand {
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: ["preserve-color"])
        try a.checkKnown(["style", "model", "strength", "preserve-color", "max-size", "quality", "data", "models"])
        guard a.positional.count == 2 else { throw CLIError("usage: atelier stylize IN OUT [--style 3] …") }
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel)
        let input = try ServiceSetup.readImage(a.positional[0], maxPixels: config.maxInputPixels)
        let start = Date()
        let result = try OfflineStylizer(registry: registry, config: config).run(
            input, model: a.options["model"], style: a.options["style"] ?? "0", strength: try a.float("strength") ?? 1,
            preserveColor: a.flags.contains("preserve-color"), maxSide: try a.int("max-size"))
        try ServiceSetup.writeImage(result, to: a.positional[1], quality: try a.int("quality") ?? 92)
        print(String(format: "%@: %d×%d in %.2f s", a.positional[1], result.width, result.height, Date().timeIntervalSince(start)))
    }
}

enum ContactSheetCommand {
    /// The original and every style of a model, as a grid of labelled tiles.
    static func run(_ args: ArraySlice<String>) throws {
        let a = try Arguments(args, flagNames: [])
        try a.checkKnown(["tile", "model", "columns", "data", "models"])
        guard a.positional.count == 2 else { throw CLIError("usage: atelier contact-sheet IN OUT.png [--tile 256]") }
        let config = ServiceSetup.config(a)
        let registry = try ModelRegistry.load(from: config.modelsDirectory, defaultModel: config.defaultModel)
        guard let model = registry.model(named: a.options["model"]) else { throw CLIError("unknown model") }
        let tile = try a.int("tile") ?? 256
        let photo = try ServiceSetup.readImage(a.positional[0], maxPixels: config.maxInputPixels).fitted(maxSide: tile)
        let stylizer = OfflineStylizer(registry: registry, config: config)
        var tiles = [photo]
        for style in model.styles {
            tiles.append(try stylizer.run(photo, model: model.name, style: String(style.id), maxSide: tile))
        }
        let sheet = ContactSheet.grid(tiles, columns: try a.int("columns") ?? 7, gap: 6)
        try ServiceSetup.writeImage(sheet, to: a.positional[1], quality: 92)
        print("\(a.positional[1]): original then styles 0…\(model.styles.count - 1), left to right, top to bottom")
    }
}

/// Lays equally sized images out on a white grid.
enum ContactSheet {
    static func grid(_ images: [RGBImage], columns: Int, gap: Int) -> RGBImage {
        let w = images[0].width, h = images[0].height
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
