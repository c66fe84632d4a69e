import XCTest
import Models
import Tensor

final class StyleBankNetworkTests: XCTestCase {
    static func randomWeights(styles: [Int], seed: UInt64 = 1) -> [String: Tensor] {
        StyleBankArchitecture.paper.initialWeights(styles: styles, seed: seed)
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
        let a = StyleBankArchitecture.bank(3).initialWeights(seed: 42)
        let b = StyleBankArchitecture.bank(3).initialWeights(seed: 42)
        XCTAssertEqual(a["bank.3.weight"]?.scalars, b["bank.3.weight"]?.scalars)
        let w = a["bank.3.weight"]!.scalars
        let std = (w.map { $0 * $0 }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 1152).squareRoot(), accuracy: 0.002)   // He init, fan-in 128·3·3
    }

    /// Residual blocks added to trained weights start as the identity: the grown network computes
    /// exactly what the original did, and its weights say how many blocks they hold.
    func testGrownNetworkComputesTheSame() throws {
        let paper = Self.randomWeights(styles: [0, 1])
        let grown = try StyleBankArchitecture.standard.grown(from: paper, seed: 4)
        XCTAssertEqual(StyleBankArchitecture(weights: paper), .paper)
        XCTAssertEqual(StyleBankArchitecture(weights: grown), .standard)
        XCTAssertEqual(Set(grown.keys).subtracting(paper.keys).count, 4 * 2 * 3, "four residual blocks of two conv+IN blocks")
        let before = try StyleBankNetwork(weights: paper, styles: [0, 1])
        let after = try StyleBankNetwork(weights: grown, styles: [0, 1])
        XCTAssertEqual(after.encoder.count, before.encoder.count + 2)
        XCTAssertEqual(after.decoder.count, before.decoder.count + 2)
        let x = Tensor(shape: [1, 3, 16, 20], values: (0..<(3 * 320)).map { Float(($0 * 5) % 19) / 18 })
        XCTAssertEqual(after(x, blend: [1: 1]).scalars, before(x, blend: [1: 1]).scalars)
        XCTAssertThrowsError(try StyleBankArchitecture.paper.grown(from: grown, seed: 4), "blocks are never dropped")
    }

    /// A residual layer is x + B(A(x)), B without ReLU; with its last γ non-zero it changes x.
    func testResidualLayerAddsItsBlocksToItsInput() throws {
        let spec = LayerSpec.residual("r", channels: 4)
        var w = spec.initialWeights(seed: 3)
        XCTAssertEqual(w["r.1.gamma"]?.scalars, [0, 0, 0, 0])
        w["r.1.gamma"] = Tensor(shape: [4], values: [1, -0.5, 2, 0.7])
        guard case .residual(let a, let b) = try ConvLayer(spec, weights: w) else { return XCTFail("not a residual layer") }
        XCTAssertEqual(b.spec.activation, .none)
        let x = Tensor(shape: [1, 4, 6, 5], values: (0..<120).map { Float(($0 * 7) % 13) / 6 - 1 })
        let y = try ConvLayer(spec, weights: w)(x)
        XCTAssertEqual(y.scalars, add(x, b(a(x))).scalars)
        XCTAssertGreaterThan(zip(y.scalars, x.scalars).map { abs($0 - $1) }.max()!, 0.1)
    }

    private func scaleHalf(_ t: Tensor) -> Tensor {
        var out = t
        out.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= 0.5 } }
        return out
    }
}
