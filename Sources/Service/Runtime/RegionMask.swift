import ImageIO
import Tensor

/// A mask image as a label map for region-wise styling: each flat colour is one region.
///
/// Regions are the colours covering at least `minShare` of the mask, in order of first appearance
/// (raster order: top row first, left to right). Pixels of any other colour — antialiased edges,
/// JPEG noise — join the region of the nearest colour. The mask is stretched to the image.
struct RegionMask {
    let width: Int, height: Int
    /// The region colours, packed 0xRRGGBB, in order of first appearance.
    let colors: [UInt32]
    /// Region index of every mask pixel, row-major.
    let labels: [UInt8]

    static let maxColors = 4096
    static let maxRegions = 8

    init(_ image: RGBImage, minShare: Double = 0.002) throws {
        let count = image.width * image.height
        var seen: [UInt32: (first: Int, pixels: Int)] = [:]
        let packed: [UInt32] = (0..<count).map { i in
            UInt32(image.pixels[3 * i]) << 16 | UInt32(image.pixels[3 * i + 1]) << 8 | UInt32(image.pixels[3 * i + 2])
        }
        for (i, c) in packed.enumerated() {
            if let s = seen[c] { seen[c] = (s.first, s.pixels + 1) } else {
                guard seen.count < Self.maxColors else {
                    throw APIError.unprocessable("the mask has more than \(Self.maxColors) colours; paint regions in flat colours (PNG)", code: "unusable_mask")
                }
                seen[c] = (i, 1)
            }
        }
        let regions = seen.filter { Double($0.value.pixels) >= minShare * Double(count) }.sorted { $0.value.first < $1.value.first }.map(\.key)
        guard !regions.isEmpty else { throw APIError.unprocessable("the mask has no colour covering enough of it to form a region", code: "unusable_mask") }
        guard regions.count <= Self.maxRegions else {
            throw APIError.unprocessable("the mask has \(regions.count) colour regions; at most \(Self.maxRegions) are supported", code: "unusable_mask")
        }
        var labelOf: [UInt32: UInt8] = [:]
        for c in seen.keys { labelOf[c] = UInt8(Self.nearest(c, in: regions)) }
        width = image.width
        height = image.height
        colors = regions
        labels = packed.map { labelOf[$0]! }
    }

    var hexColors: [String] { colors.map { "#" + String($0, radix: 16).leftPadded(to: 6) } }

    private static func nearest(_ c: UInt32, in palette: [UInt32]) -> Int {
        func d(_ a: UInt32, _ b: UInt32) -> Int {
            let dr = Int(a >> 16 & 255) - Int(b >> 16 & 255), dg = Int(a >> 8 & 255) - Int(b >> 8 & 255), db = Int(a & 255) - Int(b & 255)
            return dr * dr + dg * dg + db * db
        }
        return palette.indices.min { d(c, palette[$0]) < d(c, palette[$1]) }!
    }

    /// One soft weight map per region on a `width`×`height` grid, as [1, 1, height, width] tensors
    /// summing to 1 at every pixel: the nearest-sampled label map, one-hot, blurred by two box
    /// passes of radius `feather` (≈ a Gaussian; a blur of a partition of unity stays one).
    func softMaps(width w: Int, height h: Int, feather: Int) -> [Tensor] {
        var maps = [[Float]](repeating: [Float](repeating: 0, count: w * h), count: colors.count)
        for y in 0..<h {
            let sy = min(height - 1, y * height / h)
            for x in 0..<w {
                let sx = min(width - 1, x * width / w)
                maps[Int(labels[sy * width + sx])][y * w + x] = 1
            }
        }
        return maps.map { plane in
            var p = plane
            if feather > 0 { for _ in 0..<2 { p = boxBlur(p, width: w, height: h, radius: feather) } }
            return Tensor(shape: [1, 1, h, w], values: p)
        }
    }
}

/// Separable box blur with clamped edges: each output is the mean of the (2r+1)² window.
func boxBlur(_ plane: [Float], width w: Int, height h: Int, radius r: Int) -> [Float] {
    func blur1D(_ src: [Float], count: Int, stride: Int, lines: Int, lineStride: Int) -> [Float] {
        var out = src
        let scale = 1 / Float(2 * r + 1)
        for line in 0..<lines {
            let base = line * lineStride
            var sum: Float = 0
            for k in -r...r { sum += src[base + min(max(k, 0), count - 1) * stride] }
            for i in 0..<count {
                out[base + i * stride] = sum * scale
                sum += src[base + min(i + r + 1, count - 1) * stride] - src[base + max(i - r, 0) * stride]
            }
        }
        return out
    }
    let rows = blur1D(plane, count: w, stride: 1, lines: h, lineStride: w)
    return blur1D(rows, count: h, stride: w, lines: w, lineStride: 1)
}

/// Reference for `boxBlur`: the direct window mean.
func boxBlurReference(_ plane: [Float], width w: Int, height h: Int, radius r: Int) -> [Float] {
    var out = plane
    for y in 0..<h { for x in 0..<w {
        var sum: Float = 0
        for dy in -r...r { for dx in -r...r { sum += plane[min(max(y + dy, 0), h - 1) * w + min(max(x + dx, 0), w - 1)] } }
        out[y * w + x] = sum / Float((2 * r + 1) * (2 * r + 1))
    } }
    return out
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
