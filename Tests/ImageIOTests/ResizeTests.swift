import Foundation
import XCTest

@testable import ImageIO

final class ResizeTests: XCTestCase {
    private func mean(_ image: RGBImage) -> Double {
        Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
    }

    private func checkerboard(width: Int, height: Int) -> RGBImage {
        RGBImage(width: width, height: height, pixels: (0..<height).flatMap { y in
            (0..<width).flatMap { x in [UInt8]((x + y) % 2 == 0 ? [255, 255, 255] : [0, 0, 0]) }
        })
    }

    private func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var generator = SeededGenerator(seed: seed)
        return RGBImage(width: width, height: height, pixels: (0..<width * height * 3).map { _ in
            UInt8.random(in: 0...255, using: &generator)
        })
    }

    func testConstantImageStaysConstant() {
        let image = RGBImage(width: 19, height: 13, red: 200, green: 17, blue: 90)
        for (width, height) in [(7, 5), (40, 31), (19, 1), (1, 1), (50, 6)] {
            XCTAssertEqual(image.resized(width: width, height: height),
                           RGBImage(width: width, height: height, red: 200, green: 17, blue: 90))
        }
    }

    func testDownscalingCheckerboardAveragesToMidGray() {
        let halved = checkerboard(width: 64, height: 48).resized(width: 32, height: 24)
        // Away from the borders, where truncated kernels are renormalized.
        for y in 4..<20 {
            for x in 4..<28 {
                for value in halved.pixel(x: x, y: y) { XCTAssertEqual(Int(value), 128, accuracy: 3) }
            }
        }
        XCTAssertEqual(mean(halved), 127.5, accuracy: 2)
    }

    func testUpscalingPreservesMean() {
        let image = noise(width: 16, height: 12, seed: 3)
        XCTAssertEqual(mean(image.resized(width: 64, height: 48)), mean(image), accuracy: 1.5)
        XCTAssertEqual(mean(image.resized(width: 37, height: 29)), mean(image), accuracy: 1.5)
    }

    func testSameSizeIsIdentity() {
        let image = noise(width: 9, height: 4, seed: 1)
        XCTAssertEqual(image.resized(width: 9, height: 4), image)
    }

    func testMatchesNaiveReference() {
        let image = noise(width: 37, height: 23, seed: 11)
        for (width, height) in [(11, 7), (80, 50), (37, 9), (5, 23), (1, 1)] {
            let fast = image.resized(width: width, height: height)
            let reference = NaiveLanczos.resize(image, width: width, height: height)
            XCTAssertEqual([fast.width, fast.height], [width, height])
            let worst = zip(fast.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "\(width)×\(height)")
        }
    }

    func testFittedKeepsAspectRatio() {
        let wide = RGBImage(width: 400, height: 100, red: 1, green: 2, blue: 3)
        let fitted = wide.fitted(maxSide: 100)
        XCTAssertEqual([fitted.width, fitted.height], [100, 25])
        let tall = RGBImage(width: 30, height: 91, red: 1, green: 2, blue: 3).fitted(maxSide: 60)
        XCTAssertEqual([tall.width, tall.height], [20, 60])
        let sliver = RGBImage(width: 1000, height: 2, red: 1, green: 2, blue: 3).fitted(maxSide: 10)
        XCTAssertEqual([sliver.width, sliver.height], [10, 1])
        XCTAssertEqual(wide.fitted(maxSide: 400), wide, "already within bounds")
    }

    func testLargeDownscaleKeepsConstantColour() {
        // Timing lives in the benchmark (`make bench`), not in tests.
        let large = RGBImage(width: 1024, height: 768, red: 10, green: 20, blue: 30)
        let small = large.resized(width: 256, height: 192)
        XCTAssertEqual(small.pixel(x: 128, y: 96), [10, 20, 30])
        XCTAssertEqual(small.pixel(x: 0, y: 0), [10, 20, 30])
    }

    func testCroppedKeepsThePixelsOfTheRectangle() {
        let image = noise(width: 7, height: 5, seed: 3)
        let crop = image.cropped(x: 2, y: 1, width: 4, height: 3)
        XCTAssertEqual(crop.width, 4)
        XCTAssertEqual(crop.height, 3)
        for y in 0..<3 { for x in 0..<4 { XCTAssertEqual(crop.pixel(x: x, y: y), image.pixel(x: x + 2, y: y + 1)) } }
        XCTAssertEqual(image.cropped(x: 0, y: 0, width: 7, height: 5), image)
    }
}

/// The resize formula written out directly, for comparison: every output pixel sums over all
/// input pixels with weight L(dx) * L(dy), where L is Lanczos-3 stretched by the downscale
/// factor, and taps outside the image are dropped with the rest renormalized.
enum NaiveLanczos {
    static func kernel(_ x: Double) -> Double {
        if x == 0 { return 1 }
        if abs(x) >= 3 { return 0 }
        return sin(Double.pi * x) / (Double.pi * x) * sin(Double.pi * x / 3) / (Double.pi * x / 3)
    }

    static func weights(output: Int, inputSize: Int, outputSize: Int) -> [Double] {
        let scale = Double(inputSize) / Double(outputSize)
        let stretch = max(scale, 1)
        let center = (Double(output) + 0.5) * scale - 0.5
        let raw = (0..<inputSize).map { kernel((Double($0) - center) / stretch) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8]()
        for y in 0..<height {
            let rowWeights = weights(output: y, inputSize: image.height, outputSize: height)
            for x in 0..<width {
                let columnWeights = weights(output: x, inputSize: image.width, outputSize: width)
                for channel in 0..<3 {
                    var sum = 0.0
                    for sourceY in 0..<image.height where rowWeights[sourceY] != 0 {
                        for sourceX in 0..<image.width where columnWeights[sourceX] != 0 {
                            let value = Double(image.pixels[(sourceY * image.width + sourceX) * 3 + channel])
                            sum += rowWeights[sourceY] * columnWeights[sourceX] * value
                        }
                    }
                    pixels.append(UInt8(min(max(sum, 0), 255).rounded()))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
