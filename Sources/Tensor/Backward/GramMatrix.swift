/// Gram matrices of feature maps (Gatys et al.; normalized as in Johnson et al. 2016):
///
///   G[n, i, j] = Σ_p F[n, i, p] · F[n, j, p] / (C · H · W)      for F [N, C, H, W], p = (y, x)
///
/// computed per image as the packed GEMM F · Fᵀ. G is symmetric, so each column panel computes
/// only the rows up to its last column (about half the products) and the rest is mirrored.
public func gramMatrix(_ features: Tensor) -> Tensor {
    precondition(features.rank == 4, "gram matrix expects [N, C, H, W], got \(features.shape)")
    let (n, c, pixels) = (features.shape[0], features.shape[1], features.shape[2] * features.shape[3])
    let scale = 1 / Float(c * pixels)
    let (mr, nr) = (GEMM.mr, GEMM.nr)
    let aPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedASize(m: c, k: pixels))
    let bPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: pixels, n: c))
    defer { aPanels.deallocate(); bPanels.deallocate() }
    let rowPanels = (c + mr - 1) / mr, columnPanels = (c + nr - 1) / nr
    var gram = Tensor(uninitialized: [n, c, c])
    gram.withUnsafeMutableBufferPointer { out in
        features.withUnsafeBufferPointer { f in
            for img in 0..<n {
                let image = f.baseAddress! + img * c * pixels
                // Both packings stream the whole feature map: one panel per task, over the workers.
                Parallel.forEach(rowPanels + columnPanels) { t in
                    if t < rowPanels {
                        GEMM.packA(image + t * mr * pixels, m: min(mr, c - t * mr), k: pixels, lda: pixels, into: aPanels + t * mr * pixels)
                    } else {
                        let p = t - rowPanels
                        packTransposedB(image + p * nr * pixels, rows: min(nr, c - p * nr), rowLength: pixels, into: bPanels + p * nr * pixels)
                    }
                }
                let g = out.baseAddress! + img * c * c
                Parallel.forEach(columnPanels) { panel in
                    let j0 = panel * nr, width = min(nr, c - j0)
                    GEMM.multiplyPacked(m: j0 + width, n: width, k: pixels, packedA: aPanels,
                                        packedB: bPanels + panel * nr * pixels, c: g + j0, ldc: c)
                }
                for i in 0..<c {
                    for j in i..<c { g[i * c + j] *= scale }
                    for j in 0..<i { g[i * c + j] = g[j * c + i] }   // row i < j's column: already scaled
                }
            }
        }
    }
    return gram
}

/// Packs B = Mᵀ into GEMM B panels, for M row-major (rows × rowLength): B is rowLength × rows and
/// panel column j0 + jj, row kk holds M[j0 + jj, kk].
func packTransposedB(_ m: UnsafePointer<Float>, rows: Int, rowLength: Int, into panels: UnsafeMutablePointer<Float>) {
    let nr = GEMM.nr
    for j0 in stride(from: 0, to: rows, by: nr) {
        let panel = panels + (j0 / nr) * nr * rowLength
        for jj in 0..<nr {
            if j0 + jj < rows {
                let src = m + (j0 + jj) * rowLength
                for kk in 0..<rowLength { panel[kk * nr + jj] = src[kk] }
            } else {
                for kk in 0..<rowLength { panel[kk * nr + jj] = 0 }
            }
        }
    }
}

/// ∂L/∂F from ∂L/∂G for `gramMatrix`: since G = F·Fᵀ / (C·H·W),
///
///   ∂L/∂F[n] = (∂L/∂G[n] + ∂L/∂G[n]ᵀ) · F[n] / (C · H · W)
///
/// as a packed GEMM per image, spread over tiles of pixels.
public func gramBackward(features: Tensor, gradGram: Tensor) -> Tensor {
    precondition(features.rank == 4)
    let (n, c, pixels) = (features.shape[0], features.shape[1], features.shape[2] * features.shape[3])
    precondition(gradGram.shape == [n, c, c], "gram backward: ∂L/∂G \(gradGram.shape) for features \(features.shape)")
    let scale = 1 / Float(c * pixels)
    let aSize = GEMM.packedASize(m: c, k: c)
    let symmetricPanels = UnsafeMutablePointer<Float>.allocate(capacity: n * aSize)
    defer { symmetricPanels.deallocate() }
    gradGram.withUnsafeBufferPointer { dg in
        var symmetric = [Float](repeating: 0, count: c * c)
        for img in 0..<n {
            let d = dg.baseAddress! + img * c * c
            for i in 0..<c { for j in 0..<c { symmetric[i * c + j] = (d[i * c + j] + d[j * c + i]) * scale } }
            GEMM.packA(symmetric, m: c, k: c, lda: c, into: symmetricPanels + img * aSize)
        }
    }
    let tile = 256, tilesPerImage = (pixels + tile - 1) / tile
    var gradFeatures = Tensor(uninitialized: features.shape)
    gradFeatures.withUnsafeMutableBufferPointer { out in
        features.withUnsafeBufferPointer { f in
            Parallel.run(tasks: n * tilesPerImage) { worker, workers in
                let bPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: c, n: tile))
                defer { bPanels.deallocate() }
                var task = worker
                while task < n * tilesPerImage {
                    let img = task / tilesPerImage, p0 = (task % tilesPerImage) * tile
                    let np = min(tile, pixels - p0)
                    GEMM.packB(f.baseAddress! + img * c * pixels + p0, k: c, n: np, ldb: pixels, into: bPanels)
                    GEMM.multiplyPacked(m: c, n: np, k: c, packedA: symmetricPanels + img * aSize, packedB: bPanels,
                                        c: out.baseAddress! + img * c * pixels + p0, ldc: pixels)
                    task += workers
                }
            }
        }
    }
    return gradFeatures
}

/// `gramMatrix` computed from the definition in double precision: the tests' reference.
public func gramMatrixReference(_ features: Tensor) -> Tensor {
    let (n, c, pixels) = (features.shape[0], features.shape[1], features.shape[2] * features.shape[3])
    let f = features.scalars
    var g = [Float](repeating: 0, count: n * c * c)
    for img in 0..<n { for i in 0..<c { for j in 0..<c {
        var s = 0.0
        for p in 0..<pixels { s += Double(f[(img * c + i) * pixels + p]) * Double(f[(img * c + j) * pixels + p]) }
        g[(img * c + i) * c + j] = Float(s / Double(c * pixels))
    } } }
    return Tensor(shape: [n, c, c], values: g)
}
