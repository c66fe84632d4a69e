import Foundation

/// Precomputed Lanczos-3 weights for resampling one axis from `inputSize` to `outputSize`
/// samples. Output sample `i` is `sum(weights[i * stride + k] * input[starts[i] + k])` for
/// `k < counts[i]`; the weights of each output sample sum to 1.
struct ResamplingKernel {
    static let lobes = 3.0

    let starts: [Int]
    let counts: [Int]
    let stride: Int
    let weights: [Float]

    init(inputSize: Int, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0, "cannot resample an empty axis")
        let scale = Double(inputSize) / Double(outputSize)
        // When shrinking, stretch the filter over the input so every output sample averages
        // the whole area it covers; otherwise the result aliases.
        let filterScale = max(scale, 1)
        let support = Self.lobes * filterScale
        let stride = Int((2 * support).rounded(.up)) + 1

        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * stride)
        for output in 0..<outputSize {
            // Pixel centres sit at half-integer positions in both grids.
            let center = (Double(output) + 0.5) * scale - 0.5
            // Taps that would fall outside the image are dropped and the rest renormalized.
            let first = min(max(Int((center - support).rounded(.up)), 0), inputSize - 1)
            let last = max(min(Int((center + support).rounded(.down)), inputSize - 1), first)
            var row = [Double]()
            for input in first...last {
                row.append(Self.lanczos((Double(input) - center) / filterScale))
            }
            let total = row.reduce(0, +)
            starts[output] = first
            counts[output] = row.count
            for (tap, weight) in row.enumerated() {
                weights[output * stride + tap] = Float(total != 0 ? weight / total : 1 / Double(row.count))
            }
        }
        self.starts = starts
        self.counts = counts
        self.stride = stride
        self.weights = weights
    }

    /// sinc(x) * sinc(x / 3) on (-3, 3), zero outside.
    static func lanczos(_ x: Double) -> Double {
        if x == 0 { return 1 }
        if abs(x) >= lobes { return 0 }
        let piX = Double.pi * x
        return lobes * sin(piX) * sin(piX / lobes) / (piX * piX)
    }
}
