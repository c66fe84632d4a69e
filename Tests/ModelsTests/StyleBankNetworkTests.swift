import XCTest
import Models
import Tensor

final class StyleBankNetworkTests: XCTestCase {
    static func randomWeights(styles: [Int], seed: UInt64 = 1) -> [String: Tensor] {
        var w: [String: Tensor] = [:]
        let specs = StyleBankArchitecture.encoder + StyleBankArchitecture.decoder + styles.map(StyleBankArchitecture.bank)
        for (i, spec) in specs.enumerated() { w.merge(StyleBankArchitecture.initialize(spec, seed: seed &+ UInt64(i))) { a, _ in a } }
        return w
    }

    func testShapesAndRange() throws {
        let net = try StyleBankNetwork(weights: Self.randomWeights(styles: [0, 1]), styles: [0, 1])
        let x = Tensor(shape: [1, 3, 20, 28], values: (0..<(3 * 20 * 28)).map { Float($0 % 17) / 16 })
        XCTAssertEqual(net.encode(x).shape, [1, 128, 5, 7])
        let y = net(x, blend: [0: 1])
        XCTAssertEqual(y.shape, [1, 3, 20, 28])
        XCTAssertTrue(y.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "the linear output is clamped to 0…1")
    }

    /// Linear fusion: blending a style with itself is that style; a 50/50 blend decodes the mean
    /// of the two banks' responses.
    func testLinearFusion() throws {
        let net = try StyleBankNetwork(weights: Self.randomWeights(styles: [0, 1]), styles: [0, 1])
        let x = Tensor(shape: [1, 3, 16, 16], values: (0..<(3 * 256)).map { Float(($0 * 7) % 23) / 22 })
        XCTAssertEqual(net(x, blend: [0: 0.5, 1: 0.5]).scalars,
                       net.decode(add(scaleHalf(net.banks[0]!(net.encode(x))), scaleHalf(net.banks[1]!(net.encode(x))))).scalars)
        XCTAssertEqual(net(x, blend: [1: 1]).scalars, net.decode(net.banks[1]!(net.encode(x))).scalars)
    }

    func testMissingBankIsAnError() {
        XCTAssertThrowsError(try StyleBankNetwork(weights: Self.randomWeights(styles: [0]), styles: [0, 1]))
    }

    func testInitializationIsSeeded() {
        let a = StyleBankArchitecture.initialize(StyleBankArchitecture.bank(3), seed: 42)
        let b = StyleBankArchitecture.initialize(StyleBankArchitecture.bank(3), seed: 42)
        XCTAssertEqual(a["bank.3.weight"]?.scalars, b["bank.3.weight"]?.scalars)
        let w = a["bank.3.weight"]!.scalars
        let std = (w.map { $0 * $0 }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 1152).squareRoot(), accuracy: 0.002)   // He init, fan-in 128·3·3
    }

    private func scaleHalf(_ t: Tensor) -> Tensor {
        var out = t
        out.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= 0.5 } }
        return out
    }
}
