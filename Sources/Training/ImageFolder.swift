import Foundation
import ImageIO
import Tensor

/// Training images from any folder tree of PNG/JPEG files (COCO, wallpapers, …).
///
/// Every image is decoded once and kept with its shorter side at `keepSide` (≥ the crop size),
/// so an epoch costs crops and flips, not JPEG decoding. Files that fail to decode are skipped,
/// and so are flat ones (`minimumDeviation`), each named with its reason in `skipped`.
public struct ImageFolder {
    public let images: [RGBImage]
    /// "name (why)" for each file left out, in path order.
    public let skipped: [String]

    public static func imageFiles(in directory: URL) -> [URL] {
        let extensions: Set = ["jpg", "jpeg", "png"]
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension.lowercased()) }
            .sorted { $0.path < $1.path }
    }

    /// Loads up to `limit` images (in path order) from `directory`. An image whose pixels' standard
    /// deviation (0…1 values, all channels) is under `minimumDeviation` is left out: a blank page, or
    /// a wallpaper overlay whose picture lives in its alpha channel (decoding composites it over
    /// white, leaving plain white) teaches a style or a domain nothing.
    public init(directory: URL, keepSide: Int, limit: Int = .max, maxPixels: Int = 50_000_000,
                minimumDeviation: Float = 0.02) throws {
        var images: [RGBImage] = [], skipped: [String] = []
        for url in Self.imageFiles(in: directory).prefix(limit) {
            guard let data = FileManager.default.contents(atPath: url.path),
                  let image = try? ImageCodec.decode([UInt8](data), maxPixels: maxPixels) else {
                skipped.append("\(url.lastPathComponent) (unreadable)")
                continue
            }
            let kept = Self.shorterSide(image, keepSide)
            let deviation = Self.deviation(kept)
            guard deviation >= minimumDeviation else {
                skipped.append("\(url.lastPathComponent) (flat: standard deviation \(String(format: "%.3f", deviation)))")
                continue
            }
            images.append(kept)
        }
        guard !images.isEmpty else { throw TrainingError("no usable PNG or JPEG images in \(directory.path)") }
        self.images = images
        self.skipped = skipped
    }

    public init(images: [RGBImage]) { self.images = images; skipped = [] }

    /// Resized so the shorter side is `side` (aspect kept).
    public static func shorterSide(_ image: RGBImage, _ side: Int) -> RGBImage {
        let scale = Double(side) / Double(min(image.width, image.height))
        return image.resized(width: max(side, Int((Double(image.width) * scale).rounded())),
                             height: max(side, Int((Double(image.height) * scale).rounded())))
    }

    /// `batch`, but each crop redrawn (up to 10 times) while its standard deviation over all its
    /// values is below `minimumDeviation`: a flat crop (a wallpaper's plain background) makes
    /// every instance-normalized plane constant, and the gradient through a stack of them grows
    /// by 1/√ε per layer until it overflows.
    public func batch(_ count: Int, size: Int, minimumDeviation: Float, rng: inout TrainingRandom) -> Tensor {
        var crops: [Float] = []
        for _ in 0..<count {
            var crop = batch(1, size: size, rng: &rng)
            for _ in 0..<10 where Self.deviation(crop) < minimumDeviation { crop = batch(1, size: size, rng: &rng) }
            crops += crop.scalars
        }
        return Tensor(shape: [count, 3, size, size], values: crops)
    }

    /// Standard deviation of an image's bytes as 0…1 values, all channels together.
    static func deviation(_ image: RGBImage) -> Float { deviation(image.pixels) { Double($0) / 255 } }

    static func deviation(_ x: Tensor) -> Float { x.withUnsafeBufferPointer { deviation($0) { Double($0) } } }

    /// Population standard deviation of `values` as `unit` maps them, in two passes (mean, then
    /// squared differences from it).
    static func deviation<C: Collection>(_ values: C, _ unit: (C.Element) -> Double) -> Float {
        let n = Double(max(values.count, 1))
        let mean = values.reduce(0.0) { $0 + unit($1) } / n
        return Float((values.reduce(0.0) { $0 + (unit($1) - mean) * (unit($1) - mean) } / n).squareRoot())
    }

    /// A batch of random size×size crops with random horizontal flips, as [N, 3, size, size] in 0…1.
    public func batch(_ count: Int, size: Int, rng: inout TrainingRandom) -> Tensor {
        var out = Tensor(uninitialized: [count, 3, size, size])
        let plane = size * size
        out.withUnsafeMutableBufferPointer { d in
            for b in 0..<count {
                let img = images[rng.int(images.count)]
                let x0 = rng.int(img.width - size + 1), y0 = rng.int(img.height - size + 1)
                let flip = rng.int(2) == 1
                for y in 0..<size { for x in 0..<size {
                    let sx = x0 + (flip ? size - 1 - x : x)
                    let p = ((y0 + y) * img.width + sx) * 3
                    for c in 0..<3 { d[(b * 3 + c) * plane + y * size + x] = Float(img.pixels[p + c]) / 255 }
                } }
            }
        }
        return out
    }
}

/// The trainer's random source: its state is one number, saved in checkpoints so a resumed run
/// continues the same sequence.
public typealias TrainingRandom = SplitMix64

public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
