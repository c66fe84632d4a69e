import XCTest
import Tensor

final class FakeQuantizeTests: XCTestCase {
    /// The vector pass of every kernel variant this CPU has against the textbook one: ties (both
    /// ways), saturation, ±∞, NaN, zero points, and a length off both vector widths whose scalar
    /// tail holds the special values too.
    func testMatchesTheReference() {
        var rng = SeededValues(seed: 4)
        let special: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5, -128.5, 1e9, -1e9, .infinity, -.infinity, .nan, 0, -0]
        let values = special + (0..<1000).map { _ in rng.next() * 300 } + special.suffix(13)
        let x = Tensor(shape: [values.count], values: values)
        let saved = GEMM.variant
        defer { GEMM.variant = saved }
        for variant in GEMM.Variant.allCases where variant.isSupported {
            GEMM.variant = variant
            for (scale, zero) in [(Float(1), Float(0)), (0.0235294, -128), (0.0198789, -25), (1 / 255, -128), (0.37, 59)] {
                let fast = fakeQuantize(x, scale: scale, zeroPoint: zero).scalars
                for (i, v) in values.enumerated() {
                    let expected = fakeQuantizeReference(v, scale: scale, zeroPoint: zero)
                    XCTAssertEqual(fast[i], expected, "\(variant): x \(v) scale \(scale) zero \(zero)")
                }
            }
        }
        XCTAssertEqual(fakeQuantizeReference(2.5, scale: 1, zeroPoint: 0), 2)
        XCTAssertEqual(fakeQuantizeReference(3.5, scale: 1, zeroPoint: 0), 4)
        XCTAssertEqual(fakeQuantizeReference(.infinity, scale: 0.5, zeroPoint: -128), 127.5)
        XCTAssertEqual(fakeQuantizeReference(1000, scale: 1, zeroPoint: 0), 127)
        XCTAssertEqual(fakeQuantizeReference(-1, scale: 1 / 255, zeroPoint: -128), 0)
    }

    /// In place gives the same values, and a tensor sharing the storage keeps its own.
    func testInPlaceMatchesAndCopiesSharedStorage() {
        var rng = SeededValues(seed: 5)
        let original = Tensor(shape: [3, 333], values: (0..<999).map { _ in rng.next() * 50 })
        let before = original.scalars
        var x = original   // shares `original`'s storage until written
        fakeQuantizeInPlace(&x, scale: 0.37, zeroPoint: 59)
        XCTAssertEqual(x.scalars, fakeQuantize(original, scale: 0.37, zeroPoint: 59).scalars)
        XCTAssertNotEqual(x.scalars, original.scalars)
        XCTAssertEqual(original.scalars, before)
    }

    func testClip() {
        let x = Tensor(shape: [19], values: (0..<19).map { Float($0) - 9 })
        XCTAssertEqual(clipped(x, 0, 6).scalars, (0..<19).map { min(max(Float($0) - 9, 0), 6) })
    }
}
