extension RGBImage {
    /// Resamples with a separable Lanczos-3 filter, antialiased when shrinking.
    /// Intermediate values stay in Float; the result is clamped and rounded once.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "target size must be positive")
        precondition(width > 0 && height > 0, "cannot resize an empty image")
        if newWidth == width && newHeight == height { return self }
        let vertical = ResamplingKernel(inputSize: height, outputSize: newHeight)
        let horizontal = ResamplingKernel(inputSize: width, outputSize: newWidth)
        // Vertical first: each tap adds a whole contiguous row, a loop that vectorizes well,
        // so it is the cheaper pass to run at the full input width.
        let columnsDone = resampleColumns(with: vertical)
        let pixels = Self.resampleRows(columnsDone, width: width, height: newHeight, with: horizontal)
        return RGBImage(width: newWidth, height: newHeight, pixels: pixels)
    }

    /// Shrinks so the longer side is at most `maxSide`, keeping the aspect ratio and at
    /// least 1 pixel per side. Returns the image unchanged when it already fits.
    public func fitted(maxSide: Int) -> RGBImage {
        precondition(maxSide > 0, "maxSide must be positive")
        let longest = max(width, height)
        if longest <= maxSide { return self }
        let scale = Double(maxSide) / Double(longest)
        let newWidth = min(maxSide, max(1, Int((Double(width) * scale).rounded())))
        let newHeight = min(maxSide, max(1, Int((Double(height) * scale).rounded())))
        return resized(width: newWidth, height: newHeight)
    }

    /// Applies `kernel` down each column: output row `y` is a weighted sum of input rows.
    private func resampleColumns(with kernel: ResamplingKernel) -> [Float] {
        let rowLength = width * 3
        let outputRows = kernel.counts.count
        var output = [Float](repeating: 0, count: rowLength * outputRows)
        pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                for y in 0..<outputRows {
                    let target = destination.baseAddress! + y * rowLength
                    for tap in 0..<kernel.counts[y] {
                        let weight = kernel.weights[y * kernel.stride + tap]
                        let row = source.baseAddress! + (kernel.starts[y] + tap) * rowLength
                        for index in 0..<rowLength {
                            target[index] += weight * Float(row[index])
                        }
                    }
                }
            }
        }
        return output
    }

    /// Applies `kernel` along each row of interleaved Float RGB and rounds to bytes.
    private static func resampleRows(
        _ input: [Float], width: Int, height: Int, with kernel: ResamplingKernel
    ) -> [UInt8] {
        let outputWidth = kernel.counts.count
        var output = [UInt8](repeating: 0, count: outputWidth * height * 3)
        input.withUnsafeBufferPointer { source in
            kernel.weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { destination in
                    for y in 0..<height {
                        let row = source.baseAddress! + y * width * 3
                        var target = y * outputWidth * 3
                        for x in 0..<outputWidth {
                            var (red, green, blue): (Float, Float, Float) = (0, 0, 0)
                            var pixel = row + kernel.starts[x] * 3
                            let tapWeights = weights.baseAddress! + x * kernel.stride
                            for tap in 0..<kernel.counts[x] {
                                let weight = tapWeights[tap]
                                red += weight * pixel[0]
                                green += weight * pixel[1]
                                blue += weight * pixel[2]
                                pixel += 3
                            }
                            destination[target] = byte(red)
                            destination[target + 1] = byte(green)
                            destination[target + 2] = byte(blue)
                            target += 3
                        }
                    }
                }
            }
        }
        return output
    }
}

/// Clamps to 0...255 and rounds to the nearest byte.
@inline(__always)
func byte(_ value: Float) -> UInt8 {
    UInt8(min(max(value, 0), 255) + 0.5)
}
