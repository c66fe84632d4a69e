import XCTest
@testable import Models
import Tensor

final class SafeTensorsTests: XCTestCase {
    func testRoundTripF32AndF16() throws {
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-3, 65504])
        let b = Tensor(shape: [1], values: [42])
        let f32 = try SafeTensors.decode(SafeTensors.encode(["a": a, "b": b], metadata: ["k": "v"]))
        XCTAssertEqual(f32.tensors["a"]?.scalars, a.scalars)
        XCTAssertEqual(f32.tensors["a"]?.shape, [2, 3])
        XCTAssertEqual(f32.tensors["b"]?.scalars, [42])
        XCTAssertEqual(f32.metadata, ["k": "v"])
        let f16 = try SafeTensors.decode(SafeTensors.encode(["a": a], dtype: .f16))
        for (x, y) in zip(try XCTUnwrap(f16.tensors["a"]).scalars, a.scalars) { XCTAssertEqual(x, y, accuracy: abs(y) * 1e-3 + 1e-6) }
    }

    func testRejectsCorruptFiles() {
        XCTAssertThrowsError(try SafeTensors.decode(Data([1, 2, 3])))
        var bad = SafeTensors.encode(["a": Tensor(shape: [4], values: [1, 2, 3, 4])])
        bad.removeLast(4)   // data shorter than the header says
        XCTAssertThrowsError(try SafeTensors.decode(bad))
        var hugeHeader = Data([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
        hugeHeader.append(contentsOf: [UInt8](repeating: 0x20, count: 16))
        XCTAssertThrowsError(try SafeTensors.decode(hugeHeader))
    }

    func testAtomicWriteReplacesFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        try SafeTensors.write(["x": Tensor(shape: [1], values: [1])], to: url)
        try SafeTensors.write(["x": Tensor(shape: [1], values: [2])], to: url)
        XCTAssertEqual(try SafeTensors.load(url).tensors["x"]?.scalars, [2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["w.safetensors"])
    }

    /// A crashed writer's temporary file goes; a live process's (this one's) and other files stay.
    func testLeftoversOfDeadWritersAreRemoved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A pid no process has: above the kernel's pid_max (at most 2^22).
        let names = [".w.safetensors.\(1 << 23).tmp", ".w.safetensors.\(getpid()).tmp", "w.safetensors", ".hidden", "x.tmp"]
        for name in names { FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data([1])) }
        XCTAssertEqual(AtomicFile.removeLeftovers(in: dir), 1)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), Set(names.dropFirst()))
    }
}

final class ONNXReaderTests: XCTestCase {
    /// A hand-encoded ModelProto: graph { node { input "x" input "w" output "y" op_type "Conv"
    /// attribute { name "strides" ints [2, 2] } } initializer { dims [2] data_type FLOAT raw_data … name "w" } }
    func testReadsNodesAndInitializers() throws {
        func field(_ n: Int, _ payload: [UInt8]) -> [UInt8] { [UInt8(n << 3 | 2), UInt8(payload.count)] + payload }
        func str(_ n: Int, _ s: String) -> [UInt8] { field(n, Array(s.utf8)) }
        let attribute = str(1, "strides") + field(8, [2, 2])
        let node = str(1, "x") + str(1, "w") + str(2, "y") + str(4, "Conv") + field(5, attribute)
        let raw: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]   // 1.0, 2.0
        let initializer = [0x08, 0x02, 0x10, 0x01] + str(8, "w") + field(9, raw)
        let model = try ONNXModel(bytes: field(7, field(1, node) + field(5, initializer)))
        XCTAssertEqual(model.nodes.first?.opType, "Conv")
        XCTAssertEqual(model.nodes.first?.inputs, ["x", "w"])
        XCTAssertEqual(model.nodes.first?.intAttributes["strides"], [2, 2])
        XCTAssertEqual(model.initializers["w"]?.dims, [2])
        XCTAssertEqual(model.initializers["w"]?.values, [1, 2])
    }

    func testRejectsTruncatedInput() {
        XCTAssertThrowsError(try ONNXModel(bytes: [0x3a, 0x10, 0x01]))
        XCTAssertThrowsError(try ONNXModel(bytes: []))
    }
}
