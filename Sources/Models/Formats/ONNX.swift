import Foundation
import Tensor

/// The parts of an ONNX model (a protobuf `ModelProto`) that weight import needs: the graph's
/// nodes (to check the architecture is the one we implement) and its initializers (the weights).
/// Field numbers are from onnx/onnx.proto.
public struct ONNXModel {
    public struct Node {
        public var opType = "", name = ""
        public var inputs: [String] = [], outputs: [String] = []
        public var intAttributes: [String: [Int]] = [:]
        public var stringAttributes: [String: String] = [:]
    }

    /// An initializer with its element type (ONNX TensorProto.DataType) and values as floats.
    public struct Initializer {
        public var name = ""
        public var dims: [Int] = []
        public var dataType = 0
        public var values: [Float] = []
        public var tensor: Tensor { Tensor(shape: dims, values: values) }
    }

    public var nodes: [Node] = []
    public var initializers: [String: Initializer] = [:]
    /// The graph's input and output names, in order (inputs may include initializers in old files).
    public var graphInputs: [String] = [], graphOutputs: [String] = []

    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelError("cannot read \(url.path)") }
        try self.init(bytes: [UInt8](data))
    }

    public init(bytes: [UInt8]) throws {
        var model = ProtobufReader(bytes[...])
        var sawGraph = false
        while let (field, value) = try model.next() {
            guard field == 7, case .bytes(let graphBytes) = value else { continue }   // ModelProto.graph
            sawGraph = true
            var graph = ProtobufReader(graphBytes)
            while let (gField, gValue) = try graph.next() {
                guard case .bytes(let b) = gValue else { continue }
                switch gField {
                case 1: nodes.append(try Self.node(b))                                 // GraphProto.node
                case 5: let t = try Self.initializer(b); initializers[t.name] = t      // GraphProto.initializer
                case 11: graphInputs.append(try Self.valueName(b))                      // GraphProto.input
                case 12: graphOutputs.append(try Self.valueName(b))                     // GraphProto.output
                default: break
                }
            }
        }
        guard sawGraph else { throw ModelError("not an ONNX model: no graph") }
    }

    /// ValueInfoProto.name.
    private static func valueName(_ bytes: ArraySlice<UInt8>) throws -> String {
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() { if field == 1 { return try ProtobufReader.string(value) } }
        return ""
    }

    private static func node(_ bytes: ArraySlice<UInt8>) throws -> Node {
        var node = Node()
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            switch field {
            case 1: node.inputs.append(try ProtobufReader.string(value))
            case 2: node.outputs.append(try ProtobufReader.string(value))
            case 3: node.name = try ProtobufReader.string(value)
            case 4: node.opType = try ProtobufReader.string(value)
            case 5:
                guard case .bytes(let ab) = value else { continue }
                var a = ProtobufReader(ab)
                var name = "", ints: [Int] = [], string: String?
                while let (af, av) = try a.next() {
                    switch af {
                    case 1: name = try ProtobufReader.string(av)
                    case 3, 8: ints += try ProtobufReader.varints(av).map { Int(Int64(bitPattern: $0)) }
                    case 4: string = try ProtobufReader.string(av)
                    default: break
                    }
                }
                if !ints.isEmpty { node.intAttributes[name] = ints }
                if let string { node.stringAttributes[name] = string }
            default: break
            }
        }
        return node
    }

    private static func initializer(_ bytes: ArraySlice<UInt8>) throws -> Initializer {
        var t = Initializer()
        var raw: ArraySlice<UInt8>?
        var floatData: [Float] = [], intData: [Int64] = []
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            switch field {
            case 1: t.dims += try ProtobufReader.varints(value).map { Int(Int64(bitPattern: $0)) }
            case 2: if case .varint(let v) = value { t.dataType = Int(exactly: v) ?? -1 }
            case 4: floatData += try ProtobufReader.floats(value)
            case 5, 7: intData += try ProtobufReader.varints(value).map { Int64(bitPattern: $0) }
            case 8: t.name = try ProtobufReader.string(value)
            case 9: if case .bytes(let b) = value { raw = b }
            case 13: throw ModelError("initializer uses external data, which is not supported")
            default: break
            }
        }
        guard t.dims.allSatisfy({ $0 >= 0 }), let count = elementCount(t.dims) else {
            throw ModelError("initializer \(t.name): invalid dims \(t.dims)")
        }
        if let raw {
            t.values = try decodeRaw(raw, dataType: t.dataType, count: count, name: t.name)
        } else if !floatData.isEmpty {
            t.values = floatData
        } else {
            t.values = intData.map { Float($0) }
        }
        guard t.values.count == count else {
            throw ModelError("initializer \(t.name): \(t.values.count) values for dims \(t.dims)")
        }
        return t
    }

    /// Raw little-endian payloads of the element types we meet: float, int8/uint8, int32, int64.
    private static func decodeRaw(_ raw: ArraySlice<UInt8>, dataType: Int, count: Int, name: String) throws -> [Float] {
        let b = Array(raw)
        func le(_ i: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(b[i * n + $1]) << (8 * UInt64($1)) } }
        let width = [1: 4, 2: 1, 3: 1, 6: 4, 7: 8][dataType]
        guard let width else { throw ModelError("initializer \(name): unsupported data type \(dataType)") }
        guard count.multipliedReportingOverflow(by: width) == (b.count, false) else { throw ModelError("initializer \(name): \(b.count) bytes for \(count) values") }
        switch dataType {
        case 1: return b.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        case 2: return b.map { Float($0) }
        case 3: return b.map { Float(Int8(bitPattern: $0)) }
        case 6: return (0..<count).map { Float(Int32(truncatingIfNeeded: le($0, 4))) }
        default: return (0..<count).map { Float(Int64(bitPattern: le($0, 8))) }
        }
    }
}

/// The number of elements of a shape with non-negative dimensions; nil when it overflows `Int`
/// (a corrupt or hostile file, since no real tensor comes near).
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for d in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        count = product
    }
    return count
}
