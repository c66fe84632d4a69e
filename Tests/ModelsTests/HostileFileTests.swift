import XCTest
@testable import Models
import Tensor

/// Weight files crafted to break the readers (found by Fuzz/ONNXFuzzer and Fuzz/SafeTensorsFuzzer):
/// each must be refused with a ModelError. Before the fixes every one of them trapped.
final class HostileFileTests: XCTestCase {
    // Protocol-buffers wire format, enough to hand-write ONNX models.
    private func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    private func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(payload.count)) + payload }
    private func field(_ number: UInt64, varint value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }
    private func string(_ number: UInt64, _ s: String) -> [UInt8] { field(number, Array(s.utf8)) }
    private func model(nodes: [[UInt8]] = [], initializers: [[UInt8]] = []) -> [UInt8] {
        field(7, nodes.flatMap { field(1, $0) } + initializers.flatMap { field(5, $0) })
    }
    private func floats(_ name: String, dims: [Int64], _ values: [Float]) -> [UInt8] {
        field(1, dims.flatMap { varint(UInt64(bitPattern: $0)) }) + field(2, varint: 1) + string(8, name)
            + field(9, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }

    private func assertModelError(_ what: String, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), what) { XCTAssertTrue($0 is ModelError, "\(what): \($0)") }
    }

    func testInitializerWithNegativeOrOverflowingDimsIsRefused() {
        assertModelError("dims [-1, -1]") { _ = try ONNXModel(bytes: model(initializers: [floats("w", dims: [-1, -1], [1])])) }
        assertModelError("dims [2³², 2³²]") { _ = try ONNXModel(bytes: model(initializers: [floats("w", dims: [1 << 32, 1 << 32], [])])) }
    }

    func testDataTypeBeyondIntIsRefused() {
        let initializer = field(1, varint(1)) + field(2, varint: UInt64.max) + string(8, "w") + field(9, [0, 0, 0, 0])
        assertModelError("data_type 2⁶⁴−1") { _ = try ONNXModel(bytes: model(initializers: [initializer])) }
    }

    func testNodesWithTooFewInputsAreRefused() throws {
        for op in ["Conv", "Clip", "Add", "DequantizeLinear", "QuantizeLinear", "Reshape", "Pad", "Relu"] {
            let onnx = try ONNXModel(bytes: model(nodes: [string(2, "y") + string(4, op)]))
            assertModelError("\(op) without inputs") { _ = try QuantizedGraphImport.convert(onnx) }
        }
    }

    func testNonIntegerShapesAndScalesAreRefused() throws {
        let reshape = string(1, "x") + string(1, "shape") + string(2, "y") + string(4, "Reshape")
        for bad: Float in [.nan, .infinity, 1e30, 0.5] {
            let onnx = try ONNXModel(bytes: model(nodes: [reshape], initializers: [floats("shape", dims: [2], [1, bad])]))
            assertModelError("Reshape to [1, \(bad)]") { _ = try QuantizedGraphImport.convert(onnx) }
        }
        let resize = string(1, "x") + string(1, "") + string(1, "scales") + string(2, "y") + string(4, "Resize")
            + field(5, string(1, "mode") + string(4, "nearest"))
        let onnx = try ONNXModel(bytes: model(nodes: [resize], initializers: [floats("scales", dims: [4], [1, 1, .infinity, .infinity])]))
        assertModelError("Resize by ∞") { _ = try QuantizedGraphImport.convert(onnx) }
    }

    func testEmptyZeroPointIsRefused() throws {
        let dequantize = string(1, "q") + string(1, "s") + string(1, "z") + string(2, "y") + string(4, "DequantizeLinear")
        let onnx = try ONNXModel(bytes: model(nodes: [dequantize], initializers: [
            floats("q", dims: [2], [1, 2]), floats("s", dims: [1], [0.5]), floats("z", dims: [0], []),
        ]))
        assertModelError("empty zero point") { _ = try QuantizedGraphImport.convert(onnx) }
    }

    /// A safetensors file with `header` as its JSON and `dataBytes` zero bytes after it.
    private func safetensors(_ header: String, dataBytes: Int = 8) -> Data {
        var out = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        return out
    }

    func testSafeTensorsOffsetsAndShapesThatOverflowAreRefused() {
        let cases = [
            #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [9223372036854775800, 9223372036854775807]}}"#,
            #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#,
            #"{"w": {"dtype": "F32", "shape": [2305843009213693952], "data_offsets": [0, 0]}}"#,
            #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#,
            #"{"w": {"dtype": "F16", "shape": [-2, -1], "data_offsets": [0, 4]}}"#,
        ]
        for header in cases {
            assertModelError(header) { _ = try SafeTensors.decode(safetensors(header)) }
        }
        XCTAssertNoThrow(try SafeTensors.decode(safetensors(#"{"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}}"#)))
    }
}
