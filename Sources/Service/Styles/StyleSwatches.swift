import Foundation
import ImageIO
import Models
import Tensor

/// Previews of the built-in styles for `GET /styles/{id}/image`: a small drawn scene stylized in
/// the style. The built-in styles keep no painting (the weights hold only what the network
/// learned from it), and a preview shows what a style does to a picture, which a painting
/// would not. Each is made once, on first request, and kept (a few KB each).
final class StyleSwatches: @unchecked Sendable {
    /// Side of a swatch, in pixels: enough for a thumbnail, a few milliseconds of inference.
    static let side = 128

    private let lock = NSLock()
    private var made: [String: [UInt8]] = [:]
    private let scene = ImageTensor.tensor(from: SwatchScene.draw(side: StyleSwatches.side))

    /// The PNG of built-in style `id` of `model`, made now if it is not kept yet.
    func png(model: StyleModel, id: Int) throws -> [UInt8] {
        let key = "\(model.name)/\(id)"
        if let kept = lock.withLock({ made[key] }) { return kept }
        let output = try model.stylize(scene, spec: StyleSpec(.catalogue([id: 1]), alpha: 1))
        let png = try ImageCodec.encodePNG(ImageTensor.image(from: output))
        lock.withLock { made[key] = png }
        return png
    }
}

/// The picture swatches are made from: sky, sun, hills and a house, drawn in code so the
/// binary needs no image file. Flat areas, edges and a few colours, as a photo has.
enum SwatchScene {
    static func draw(side: Int) -> RGBImage {
        let s = Double(side)
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                let (u, v) = (Double(x) / s, Double(y) / s)
                let rgb = color(u: u, v: v)
                let i = (y * side + x) * 3
                (pixels[i], pixels[i + 1], pixels[i + 2]) = (rgb.0, rgb.1, rgb.2)
            }
        }
        return RGBImage(width: side, height: side, pixels: pixels)
    }

    /// The colour at (u, v) in 0…1 × 0…1, from the nearest shape to the farthest.
    private static func color(u: Double, v: Double) -> (UInt8, UInt8, UInt8) {
        let nearHill = 0.74 + 0.06 * sin(u * 5.0 + 2.0)
        let farHill = 0.56 + 0.07 * sin(u * 8.0 + 0.5)
        if v > nearHill { return mix((70, 120, 60), (40, 80, 40), (v - nearHill) / (1 - nearHill)) }
        if u > 0.18 && u < 0.40 && v > 0.52 {                       // the house: wall and door
            if u > 0.26 && u < 0.32 && v > 0.62 { return (70, 45, 35) }
            return (200, 80, 60)
        }
        if v > 0.52 - (0.11 - abs(u - 0.29)) && v <= 0.52 && abs(u - 0.29) < 0.13 { return (110, 50, 45) }   // its roof
        if v > farHill { return (110, 150, 95) }
        let sun = hypot(u - 0.72, v - 0.26)
        if sun < 0.11 { return (250, 205, 90) }
        return mix((80, 135, 205), (235, 225, 200), v / 0.6)      // sky, lighter towards the horizon
    }

    private static func mix(_ a: (Int, Int, Int), _ b: (Int, Int, Int), _ t: Double) -> (UInt8, UInt8, UInt8) {
        let t = min(max(t, 0), 1)
        func channel(_ p: Int, _ q: Int) -> UInt8 { UInt8((Double(p) + (Double(q) - Double(p)) * t).rounded()) }
        return (channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }
}
