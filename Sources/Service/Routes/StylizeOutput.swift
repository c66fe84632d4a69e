import Foundation
import HTTP
import ImageIO

/// One stylized image of a `/stylize` request, and how a request's outputs become its response:
/// one image; several (`samples`) as `multipart/mixed` parts that carry their seeds, or as one
/// grid image (`layout=grid`).
struct StylizeOutput {
    let image: RGBImage
    let seconds: Double
    /// The seed its style code was drawn with (MUNIT), if it was drawn.
    let seed: UInt64?

    static func response(_ outputs: [StylizeOutput], format: ImageFormat, quality: Int, layout: StylizeRequest.Layout,
                         model: String) throws -> HTTPResponse {
        func encode(_ image: RGBImage) throws -> [UInt8] {
            format == .png ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: quality)
        }
        let contentType = format == .png ? "image/png" : "image/jpeg"
        var headers = HTTPHeaders()
        headers.set(name: "X-Inference-Seconds", value: String(format: "%.3f", outputs.reduce(0) { $0 + $1.seconds }))
        headers.set(name: "X-Image-Size", value: "\(outputs[0].image.width)x\(outputs[0].image.height)")
        headers.set(name: "X-Model", value: model)
        let seeds = outputs.compactMap(\.seed)
        if !seeds.isEmpty { headers.set(name: "X-Seed", value: seeds.map(String.init).joined(separator: ",")) }
        guard outputs.count > 1, layout == .multipart else {
            let single = outputs.count == 1 ? outputs[0].image : grid(outputs.map(\.image))
            return .bytes(contentType: contentType, body: try encode(single), headers: headers)
        }
        let parts = try outputs.map { o -> (headers: [(String, String)], body: [UInt8]) in
            let seed = o.seed.map(String.init) ?? ""
            return ([("Content-Type", contentType), ("Content-Disposition", "inline; filename=\"seed-\(seed).\(format == .png ? "png" : "jpg")\""),
                     ("X-Seed", seed)], try encode(o.image))
        }
        let boundary = "atelier-\(UInt64.random(in: 0...UInt64.max))"
        return .bytes(contentType: "multipart/mixed; boundary=\(boundary)", body: MultipartMixed.encode(parts, boundary: boundary), headers: headers)
    }

    /// Images side by side in a grid of ⌈√n⌉ columns (`layout=grid`), in order; all the same size.
    static func grid(_ images: [RGBImage]) -> RGBImage {
        let columns = Int(Double(images.count).squareRoot().rounded(.up)), rows = (images.count + columns - 1) / columns
        let (w, h) = (images[0].width, images[0].height)
        var pixels = [UInt8](repeating: 255, count: columns * w * rows * h * 3)
        for (i, image) in images.enumerated() {
            let (x0, y0) = ((i % columns) * w, (i / columns) * h)
            for y in 0..<h {
                let src = y * w * 3, dst = ((y0 + y) * columns * w + x0) * 3
                pixels.replaceSubrange(dst..<(dst + w * 3), with: image.pixels[src..<(src + w * 3)])
            }
        }
        return RGBImage(width: columns * w, height: rows * h, pixels: pixels)
    }
}
