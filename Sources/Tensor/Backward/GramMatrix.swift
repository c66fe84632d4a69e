/// Gram matrices of feature maps (Gatys et al.; normalized as in Johnson et al. 2016):
///
///   G[n, i, j] = Σ_p F[n, i, p] · F[n, j, p] / (C · H · W)      for F [N, C, H, W], p = (y, x)
///
/// computed per image as packed GEMMs F · Fᵀ over chunks of pixels, each worker summing its
/// chunks into its own partial G. A chunk's packed panels (2 × 512 KiB) stay in cache while every
/// column panel uses them, and no scratch grows with the image: packing a 256² relu1_2 map whole
/// took two 16 MiB buffers, whose fresh pages cost more than the products inside a training step.
/// G is symmetric, so each column panel computes only the rows up to its last column (about half
/// the products) and the rest is mirrored.
public func gramMatrix(_ features: Tensor) -> Tensor {
    precondition(features.rank == 4, "gram matrix expects [N, C, H, W], got \(features.shape)")
    let (n, c, pixels) = (features.shape[0], features.shape[1], features.shape[2] * features.shape[3])
    let nr = GEMM.nr
    let chunk = max(64, (1 << 17) / c)   // pixels per chunk: 128 Ki floats (512 KiB) of features
    let chunks = (pixels + chunk - 1) / chunk
    let columnPanels = (c + nr - 1) / nr
    let workers = min(Parallel.threadsForCurrentThread, n * chunks)
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: workers * n * c * c)
    partials.initialize(repeating: 0, count: workers * n * c * c)
    defer { partials.deallocate() }
    features.withUnsafeBufferPointer { f in
        Parallel.run(tasks: workers) { worker, workerCount in
            let aPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedASize(m: c, k: chunk))
            let bPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: chunk, n: c))
            defer { aPanels.deallocate(); bPanels.deallocate() }
            var task = worker
            while task < n * chunks {
                let (img, p0) = (task / chunks, (task % chunks) * chunk)
                let width = min(chunk, pixels - p0)
                let image = f.baseAddress! + img * c * pixels + p0
                GEMM.packA(image, m: c, k: width, lda: pixels, into: aPanels)
                packTransposedB(image, rows: c, rowLength: width, rowStride: pixels, into: bPanels)
                let g = partials + (worker * n + img) * c * c
                for panel in 0..<columnPanels {
                    let j0 = panel * nr, cols = min(nr, c - j0)
                    GEMM.multiplyPacked(m: j0 + cols, n: cols, k: width, packedA: aPanels,
                                        packedB: bPanels + panel * nr * width, c: g + j0, ldc: c, accumulate: true)
                }
                task += workerCount
            }
        }
    }
    let scale = 1 / Float(c * pixels)
    var gram = Tensor(uninitialized: [n, c, c])
    gram.withUnsafeMutableBufferPointer { out in
        for img in 0..<n {
            let g = out.baseAddress! + img * c * c
            for i in 0..<c {
                for j in i..<c {
                    var sum: Float = 0
                    for w in 0..<workers { sum += partials[(w * n + img) * c * c + i * c + j] }
                    g[i * c + j] = sum * scale
                }
                for j in 0..<i { g[i * c + j] = g[j * c + i] }   // row j < i, already summed
            }
        }
    }
    return gram
}

/// Packs B = Mᵀ into GEMM B panels, for M row-major (rows × rowLength, row stride `rowStride`): B is
/// rowLength × rows and panel column j0 + jj, row kk holds M[j0 + jj, kk].
func packTransposedB(_ m: UnsafePointer<Float>, rows: Int, rowLength: Int, rowStride: Int,
                     into panels: UnsafeMutablePointer<Float>) {
    let nr = GEMM.nr
    for j0 in stride(from: 0, to: rows, by: nr) {
        let panel = panels + (j0 / nr) * nr * rowLength
        for jj in 0..<nr {
            if j0 + jj < rows {
                let src = m + (j0 + jj) * rowStride
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
            Parallel.run(claiming: n * tilesPerImage) { _, next in
                let bPanels = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.packedBSize(k: c, n: tile))
                defer { bPanels.deallocate() }
                while let task = next() {
                    let img = task / tilesPerImage, p0 = (task % tilesPerImage) * tile
                    let np = min(tile, pixels - p0)
                    GEMM.packB(f.baseAddress! + img * c * pixels + p0, k: c, n: np, ldb: pixels, into: bPanels)
                    GEMM.multiplyPacked(m: c, n: np, k: c, packedA: symmetricPanels + img * aSize, packedB: bPanels,
                                        c: out.baseAddress! + img * c * pixels + p0, ldc: pixels)
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
