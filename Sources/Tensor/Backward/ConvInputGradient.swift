import Foundation

/// ∂L/∂x of a valid convolution (see `conv2dBackward`). Stride-1 layers run it as a forward
/// convolution with the flipped kernel (`flipped` below); strided ones as col2im(wᵀ · gy):
///
///   dcol[(ci·KH + ky)·KW + kx, p] = Σ_co w[co, ci, ky, kx] · gy[n, co, p]      (packed GEMM)
///   ∂L/∂x[n, ci, oy·s + ky, ox·s + kx] += dcol[(ci·KH + ky)·KW + kx, p]        (col2im, p = (oy, ox))
///
/// wᵀ is packed into GEMM A panels once, here, so a frozen layer (VGG in a perceptual loss) keeps
/// one of these and pays only the GEMM and the scatter per step.
///
/// Threads never write the same pixel, so there is no reduction and the result does not depend on
/// the thread count. A task is (image, channel group, band of output rows):
///   - the rows of wᵀ are cut into groups of whole input channels, and a group's col2im writes
///     only its own channels;
///   - output rows are cut into bands tall enough (B·s ≥ KH − s) that the input rows written by
///     band b and band b + 2 are disjoint; even bands run first, then odd bands.
public struct ConvInputGradient {
    public let stride: Int
    public let outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int
    /// Input channels per thread task; its wᵀ rows (channels · KH · KW) are one GEMM's m.
    let channelsPerGroup: Int
    /// A panels of wᵀ [Cin·KH·KW, Cout], group by group; group g starts at `groupPanelOffset[g]`.
    /// Packed only for the layers col2im runs (nil where `flipped` does).
    let packedTransposedWeight: Tensor?
    let groupPanelOffset: [Int]
    /// For stride-1 layers: ∂L/∂x as a forward convolution, the "full" correlation
    ///   ∂x = conv(pad(gy, KH − 1, KW − 1), w′),  w′[ci, co, ky, kx] = w[co, ci, KH − 1 − ky, KW − 1 − kx]
    /// (every input pixel collects gy from the outputs whose window covered it), which runs as
    /// Winograd where that suits and as the direct implicit GEMM elsewhere. Same multiplies as
    /// col2im (plus the padded border) and no scatter; and its GEMM's depth is Cout·KH·KW, where
    /// col2im's is Cout: a 9×9 32→3 output layer's ∂x took 27.3 ms at 128² by col2im (a GEMM 3
    /// deep, then 2592 rows scattered) and 3.5 ms as a forward 9×9 3→32 convolution
    /// (`atelier profile --network stylebank-backward --size 128`, AVX2).
    let flipped: Conv2D?

    /// Whether stride-1 layers take `flipped` (default); `ATELIER_CONV_GRAD=col2im` sends every
    /// layer through col2im, to compare.
    nonisolated(unsafe) public static var flippedEnabled: Bool = {
        ProcessInfo.processInfo.environment["ATELIER_CONV_GRAD"] != "col2im"
    }()

    public init(weight: Tensor, stride: Int = 1) {
        precondition(weight.rank == 4 && stride >= 1, "conv weight must be [Cout, Cin, KH, KW], got \(weight.shape)")
        (outChannels, inChannels, kernelH, kernelW) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        self.stride = stride
        let taps = kernelH * kernelW, cout = outChannels
        // About 64 wᵀ rows per group: tall enough for the micro-kernel, small enough to spread.
        channelsPerGroup = min(inChannels, max(1, 64 / taps))
        let groups = (inChannels + channelsPerGroup - 1) / channelsPerGroup
        var offsets = [Int](), total = 0
        for g in 0..<groups {
            offsets.append(total)
            let rows = (min(inChannels, (g + 1) * channelsPerGroup) - g * channelsPerGroup) * taps
            total += GEMM.packedASize(m: rows, k: cout)
        }
        groupPanelOffset = offsets
        if stride == 1 {
            let (co, ci) = (outChannels, inChannels)
            var w = Tensor(uninitialized: [ci, co, kernelH, kernelW])
            w.withUnsafeMutableBufferPointer { dst in
                weight.withUnsafeBufferPointer { src in
                    for o in 0..<co { for i in 0..<ci { for t in 0..<taps { dst[(i * co + o) * taps + taps - 1 - t] = src[(o * ci + i) * taps + t] } } }
                }
            }
            flipped = Conv2D(weight: w)
        } else {
            flipped = nil
        }
        guard flipped == nil || !Self.flippedEnabled else { packedTransposedWeight = nil; return }
        var packed = Tensor(uninitialized: [max(total, 1)])
        let cpg = channelsPerGroup, cin = inChannels
        packed.withUnsafeMutableBufferPointer { dst in
            weight.withUnsafeBufferPointer { src in
                for g in 0..<groups {
                    let rows = (min(cin, (g + 1) * cpg) - g * cpg) * taps
                    packTransposedA(src.baseAddress!, firstRow: g * cpg * taps, rows: rows, columns: cout,
                                    rowLength: cin * taps, into: dst.baseAddress! + offsets[g])
                }
            }
        }
        packedTransposedWeight = packed
    }

    /// Output pixels per tile: the gy panels (Cout rows) stay near 256 KiB.
    var tilePixels: Int {
        let fit = (65_536 / max(outChannels, 1)) / GEMM.nr * GEMM.nr
        return min(max(fit, 4 * GEMM.nr), 512)
    }

    /// Output rows per band: at least about 2048 output pixels, and at least (KH − s)/s rows so
    /// that bands two apart never touch the same input row. Depends on the shape only.
    static func bandRows(outputWidth wo: Int, kernelH kh: Int, stride s: Int) -> Int {
        max(1, (kh - s + s - 1) / s, (2048 + wo - 1) / max(wo, 1))
    }

    /// ∂L/∂x of the input before it was zero-padded by `zeroPadding` (p) on every side, [N, Cin,
    /// h, w] (the padded input was h + 2p by w + 2p): what a "same" convolution like VGG's needs.
    /// The flipped convolution then computes only the interior, padding gy by KH − 1 − p instead
    /// of KH − 1, and nothing is cropped: h² outputs instead of (h + 2)² for VGG16's 3×3 layers,
    /// 21% fewer at 16², 2% at 192². Other layers compute the whole padded gradient and crop it.
    public func unpaddedInputGradient(_ gy: Tensor, height h: Int, width w: Int, zeroPadding p: Int) -> Tensor {
        let (kh, kw) = (kernelH, kernelW)
        if let flipped, Self.flippedEnabled || packedTransposedWeight == nil, p <= kh - 1, p <= kw - 1 {
            precondition(gy.rank == 4 && gy.shape[1] == outChannels && gy.shape[2] == h + 2 * p - kh + 1 && gy.shape[3] == w + 2 * p - kw + 1,
                         "conv input gradient: gy \(gy.shape) does not match a \(h)×\(w) input padded by \(p) and a \(kh)×\(kw) kernel")
            return flipped(pad2d(gy, top: kh - 1 - p, bottom: kh - 1 - p, left: kw - 1 - p, right: kw - 1 - p, mode: .zero))
        }
        let full = self(gy, inputHeight: h + 2 * p, inputWidth: w + 2 * p)
        return p > 0 ? pad2dBackward(full, top: p, bottom: p, left: p, right: p, mode: .zero) : full
    }

    /// ∂L/∂x [N, Cin, inputHeight, inputWidth] for gy = ∂L/∂y [N, Cout, Ho, Wo].
    public func callAsFunction(_ gy: Tensor, inputHeight h: Int, inputWidth w: Int) -> Tensor {
        let (cout, cin, kh, kw, s) = (outChannels, inChannels, kernelH, kernelW, stride)
        let ho = (h - kh) / s + 1, wo = (w - kw) / s + 1
        precondition(gy.rank == 4 && gy.shape[1] == cout && gy.shape[2] == ho && gy.shape[3] == wo,
                     "conv input gradient: gy \(gy.shape) does not match a \(h)×\(w) input and \(kh)×\(kw)/\(s) kernel")
        if let flipped, Self.flippedEnabled || packedTransposedWeight == nil {
            return flipped(pad2d(gy, top: kh - 1, bottom: kh - 1, left: kw - 1, right: kw - 1, mode: .zero))
        }
        let n = gy.shape[0], pixels = ho * wo, taps = kh * kw
        let tile = tilePixels, cpg = channelsPerGroup, groups = groupPanelOffset.count
        let maxRows = cpg * taps
        let bandRows = Self.bandRows(outputWidth: wo, kernelH: kh, stride: s)
        let bands = (ho + bandRows - 1) / bandRows
        var gx = Tensor(zeros: [n, cin, h, w])
        gx.withUnsafeMutableBufferPointer { gxBuf in
            gy.withUnsafeBufferPointer { gyBuf in
                packedTransposedWeight!.withUnsafeBufferPointer { aBuf in
                    for phase in 0..<2 {
                        let phaseBands = (bands - phase + 1) / 2       // bands phase, phase + 2, ...
                        let tasks = n * groups * phaseBands
                        if tasks == 0 { continue }
                        Parallel.run(claiming: tasks) { _, next in
                            let panels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: cout, n: tile))
                            let dcol = UnsafeMutablePointer<Float>.allocate(capacity: maxRows * tile)
                            let pixelOffset = UnsafeMutablePointer<Int>.allocate(capacity: tile)
                            defer { panels.deallocate(); dcol.deallocate(); pixelOffset.deallocate() }
                            while let task = next() {
                                let band = phase + 2 * (task % phaseBands)
                                let g = (task / phaseBands) % groups, img = task / (phaseBands * groups)
                                let ci0 = g * cpg, channels = min(cin, ci0 + cpg) - ci0
                                let rows = channels * taps
                                let gyImage = gyBuf.baseAddress! + img * cout * pixels
                                let gxGroup = gxBuf.baseAddress! + (img * cin + ci0) * h * w
                                let bandEnd = min(ho, (band + 1) * bandRows) * wo
                                for p0 in Swift.stride(from: band * bandRows * wo, to: bandEnd, by: tile) {
                                    let np = min(tile, bandEnd - p0)
                                    GEMM.packB(gyImage + p0, k: cout, n: np, ldb: pixels, into: panels)
                                    GEMM.multiplyPacked(m: rows, n: np, k: cout, packedA: aBuf.baseAddress! + groupPanelOffset[g],
                                                        packedB: panels, c: dcol, ldc: tile)
                                    fillPixelOffsets(pixelOffset, firstPixel: p0, count: np, outputWidth: wo, stride: s, inputWidth: w)
                                    scatterColumns(dcol, ldc: tile, pixels: np, pixelOffset: pixelOffset, into: gxGroup,
                                                   channels: channels, height: h, width: w, kernelH: kh, kernelW: kw)
                                }
                            }
                        }
                    }
                }
            }
        }
        return gx
    }
}

/// Packs rows firstRow..<firstRow + rows of Wᵀ into GEMM A panels (as `GEMM.packA` would pack
/// Wᵀ row-major), reading W [columns, rowLength] directly: an A panel's mr values for column co
/// are consecutive in W's row co, so no transposed copy is needed.
func packTransposedA(_ w: UnsafePointer<Float>, firstRow: Int, rows: Int, columns: Int, rowLength: Int,
                     into dst: UnsafeMutablePointer<Float>) {
    let mr = GEMM.mr
    var out = dst
    for i0 in Swift.stride(from: 0, to: rows, by: mr) {
        let valid = min(mr, rows - i0)
        for co in 0..<columns {
            let src = w + co * rowLength + firstRow + i0
            for i in 0..<valid { out[i] = src[i] }
            for i in valid..<mr { out[i] = 0 }
            out += mr
        }
    }
}

/// col2im for one tile: adds row (ci·KH + ky)·KW + kx, column j of `dcol` onto pixel
/// (ky, kx) + `pixelOffset[j]` of plane ci.
@inline(__always)
func scatterColumns(_ dcol: UnsafePointer<Float>, ldc: Int, pixels: Int, pixelOffset: UnsafePointer<Int>,
                    into planes: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                    kernelH: Int, kernelW: Int) {
    var row = dcol
    for ci in 0..<channels {
        for ky in 0..<kernelH {
            for kx in 0..<kernelW {
                let dst = planes + (ci * height + ky) * width + kx
                for j in 0..<pixels { dst[pixelOffset[j]] += row[j] }
                row += ldc
            }
        }
    }
}
