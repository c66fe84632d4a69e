/// How `pad2d` fills the border.
public enum PaddingMode: Sendable {
    case zero
    /// Mirror without repeating the edge pixel (ONNX/PyTorch "reflect"): [a b c] → [c b | a b c | b a].
    case reflect
}

/// Pads the two spatial dimensions of an [N, C, H, W] tensor.
public func pad2d(_ x: Tensor, top: Int, bottom: Int, left: Int, right: Int, mode: PaddingMode) -> Tensor {
    precondition(x.rank == 4)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    if mode == .reflect {
        precondition(top < h && bottom < h && left < w && right < w, "reflect padding must be smaller than the image (\(h)×\(w))")
    }
    let ph = h + top + bottom, pw = w + left + right
    var out = Tensor(uninitialized: [n, c, ph, pw])
    // Source column for every output column, and source row for every output row (-1: zero).
    let colMap = (0..<pw).map { sourceIndex($0 - left, size: w, mode: mode) }
    let rowMap = (0..<ph).map { sourceIndex($0 - top, size: h, mode: mode) }
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            Parallel.forEach(n * c) { plane in
                let s = src.baseAddress! + plane * h * w
                let d = dst.baseAddress! + plane * ph * pw
                for oy in 0..<ph {
                    let row = d + oy * pw
                    let sy = rowMap[oy]
                    if sy < 0 { row.update(repeating: 0, count: pw); continue }
                    let srow = s + sy * w
                    for ox in 0..<left { row[ox] = colMap[ox] < 0 ? 0 : srow[colMap[ox]] }
                    (row + left).update(from: srow, count: w)
                    for ox in (left + w)..<pw { row[ox] = colMap[ox] < 0 ? 0 : srow[colMap[ox]] }
                }
            }
        }
    }
    return out
}

/// The source index for a padded coordinate `i` (may be out of 0..<size), or -1 for a zero.
@inline(__always)
public func sourceIndex(_ i: Int, size: Int, mode: PaddingMode) -> Int {
    if i >= 0 && i < size { return i }
    switch mode {
    case .zero: return -1
    case .reflect: return i < 0 ? -i : 2 * (size - 1) - i
    }
}

/// Rows `range` of every plane of an [N, C, H, W] tensor, as [N, C, range.count, W].
public func sliceRows(_ x: Tensor, _ range: Range<Int>) -> Tensor {
    precondition(x.rank == 4 && range.lowerBound >= 0 && range.upperBound <= x.shape[2], "rows \(range) of \(x.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var out = Tensor(uninitialized: [n, c, range.count, w])
    out.withUnsafeMutableBufferPointer { dst in
        x.withUnsafeBufferPointer { src in
            for plane in 0..<(n * c) {
                (dst.baseAddress! + plane * range.count * w).update(from: src.baseAddress! + (plane * h + range.lowerBound) * w,
                                                                   count: range.count * w)
            }
        }
    }
    return out
}

/// [N, C, H₁ + H₂ + …, W] from [N, C, Hᵢ, W] parts stacked top to bottom (the inverse of `sliceRows`).
public func concatenateRows(_ parts: [Tensor]) -> Tensor {
    precondition(!parts.isEmpty && parts.allSatisfy { $0.rank == 4 && $0.shape[0] == parts[0].shape[0] && $0.shape[1] == parts[0].shape[1] && $0.shape[3] == parts[0].shape[3] },
                 "concatenate rows: parts of other batch, channels or width")
    let (n, c, w) = (parts[0].shape[0], parts[0].shape[1], parts[0].shape[3])
    let h = parts.reduce(0) { $0 + $1.shape[2] }
    var out = Tensor(uninitialized: [n, c, h, w])
    out.withUnsafeMutableBufferPointer { dst in
        var row = 0
        for part in parts {
            let ph = part.shape[2]
            part.withUnsafeBufferPointer { src in
                for plane in 0..<(n * c) {
                    (dst.baseAddress! + (plane * h + row) * w).update(from: src.baseAddress! + plane * ph * w, count: ph * w)
                }
            }
            row += ph
        }
    }
    return out
}
