import Foundation
import Tensor

/// A small dataflow graph in our own format: the int8 QDQ networks we import (Magenta's
/// arbitrary style transfer, converted from TFLite) as a list of float operations. Weights are
/// dequantized once at import; each activation quantization point of the original (QuantizeLinear
/// followed by DequantizeLinear) stays, as `fakeQuant`, so the float computation rounds exactly
/// where the int8 one does. Values are named; the ops run in order (they are already topological).
/// Saved as safetensors: the weights, and the op list as JSON in the metadata (`graph`).
public struct QuantizedGraph: Codable, Sendable {
    public enum Op: Codable, Sendable, Equatable {
        /// Zero `pads` [top, left, bottom, right], then a convolution; `group` 1 or depthwise (= channels).
        case conv(input: String, output: String, weight: String, bias: String?, stride: Int, pads: [Int], group: Int)
        case clip(input: String, output: String, min: Float, max: Float)
        case relu(input: String, output: String)
        case sigmoid(input: String, output: String)
        case sqrt(input: String, output: String)
        case reciprocal(input: String, output: String)
        /// Element-wise with broadcasting of [N, C, 1, 1] (or a single value) against [N, C, H, W].
        case add(a: String, b: String, output: String)
        case sub(a: String, b: String, output: String)
        case mul(a: String, b: String, output: String)
        /// Mean over the last two dimensions, kept as size 1.
        case globalAveragePool(input: String, output: String)
        /// Reflect padding of a rank-4 tensor, ONNX order [begin per axis…, end per axis…].
        case reflectPad(input: String, output: String, pads: [Int])
        /// Nearest upsampling of the last two dimensions by an integer factor (1: a copy).
        case upsample(input: String, output: String, factor: Int)
        case reshape(input: String, output: String, shape: [Int])
        case transpose(input: String, output: String, permutation: [Int])
        /// x ↦ (clamp(round_half_even(x / scale) + zeroPoint, −128, 127) − zeroPoint) · scale: int8
        /// quantization and dequantization in one (ONNX QuantizeLinear then DequantizeLinear).
        case fakeQuant(input: String, output: String, scale: Float, zeroPoint: Float)
    }

    public var inputs: [String]
    public var outputs: [String]
    public var ops: [Op]
    public init(inputs: [String], outputs: [String], ops: [Op]) { (self.inputs, self.outputs, self.ops) = (inputs, outputs, ops) }

    /// Saves the graph (JSON in the metadata, key `graph`) with its float weights.
    public func write(weights: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        try SafeTensors.write(weights, to: url, metadata: metadata.merging(["graph": json, "format": Self.format]) { _, b in b })
    }

    /// A file `write` made.
    public static func load(_ url: URL) throws -> (graph: QuantizedGraph, weights: [String: Tensor]) {
        let file = try SafeTensors.load(url)
        guard file.metadata["format"] == format, let json = file.metadata["graph"] else {
            throw ModelError("\(url.lastPathComponent) is not a quantized graph of format \(format); run `make weights` again")
        }
        return (try JSONDecoder().decode(QuantizedGraph.self, from: Data(json.utf8)), file.tensors)
    }

    public static let format = "atelier-quantized-graph-v1"

    /// Values each op reads (weights included).
    static func operands(_ op: Op) -> [String] {
        switch op {
        case let .conv(input, _, weight, bias, _, _, _): return [input, weight] + (bias.map { [$0] } ?? [])
        case let .clip(input, _, _, _), let .relu(input, _), let .sigmoid(input, _), let .sqrt(input, _), let .reciprocal(input, _),
             let .globalAveragePool(input, _), let .reflectPad(input, _, _), let .upsample(input, _, _), let .reshape(input, _, _),
             let .transpose(input, _, _), let .fakeQuant(input, _, _, _):
            return [input]
        case let .add(a, b, _), let .sub(a, b, _), let .mul(a, b, _): return [a, b]
        }
    }

    /// Runs the graph once on `feeds` (by input name) with `weights`; returns the outputs by name.
    /// A network that runs many times keeps a `PreparedQuantizedGraph` instead, which packs each
    /// convolution's weights once rather than on every run.
    public func run(_ feeds: [String: Tensor], weights: [String: Tensor],
                    observe: ((Op, [[Int]], Double) -> Void)? = nil) throws -> [String: Tensor] {
        try PreparedQuantizedGraph(self, weights: weights).run(feeds, observe: observe)
    }

    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        var out = x
        out.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = f(p[i]) } }
        return out
    }

    /// ONNX Reshape: 0 keeps the input's dimension, one −1 takes what is left.
    static func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
        var s = shape.enumerated().map { $0.element == 0 && $0.offset < x.rank ? x.shape[$0.offset] : $0.element }
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            s[i] = known > 0 ? x.count / known : 0
        }
        guard s.reduce(1, *) == x.count else { throw ModelError("cannot reshape \(x.shape) to \(shape)") }
        return x.reshaped(s)
    }

    /// Reflect padding of any two of the four axes (the others must have no padding).
    static func reflectPad(_ x: Tensor, pads: [Int]) throws -> Tensor {
        guard x.rank == 4, pads.count == 8 else { throw ModelError("reflect pad needs a rank-4 tensor and 8 pads, got \(x.shape), \(pads)") }
        let begin = Array(pads[0..<4]), end = Array(pads[4..<8])
        if begin[0] == 0, begin[1] == 0, end[0] == 0, end[1] == 0, begin[2] < x.shape[2], end[2] < x.shape[2], begin[3] < x.shape[3], end[3] < x.shape[3] {
            return pad2d(x, top: begin[2], bottom: end[2], left: begin[3], right: end[3], mode: .reflect)   // NCHW: the fast path
        }
        for d in 0..<4 where begin[d] >= x.shape[d] || end[d] >= x.shape[d] {
            if begin[d] > 0 || end[d] > 0 { throw ModelError("reflect padding \(begin[d]),\(end[d]) of an axis of \(x.shape[d])") }
        }
        let outShape = (0..<4).map { x.shape[$0] + begin[$0] + end[$0] }
        let maps = (0..<4).map { d in (0..<outShape[d]).map { sourceIndex($0 - begin[d], size: x.shape[d], mode: .reflect) } }
        let v = x.scalars
        let (s1, s2, s3) = (x.shape[1] * x.shape[2] * x.shape[3], x.shape[2] * x.shape[3], x.shape[3])
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        var i = 0
        for a in maps[0] { for b in maps[1] { for c in maps[2] { for d in maps[3] {
            out[i] = v[a * s1 + b * s2 + c * s3 + d]; i += 1
        } } } }
        return Tensor(shape: outShape, values: out)
    }

    public static func transpose(_ x: Tensor, _ perm: [Int]) -> Tensor {
        if x.rank == 4, perm == [0, 2, 3, 1] || perm == [0, 3, 1, 2] { return transposeImage(x, toChannelsLast: perm == [0, 2, 3, 1]) }
        return transposeReference(x, perm)
    }

    /// Any permutation, one element at a time (what `transpose`'s fast path is tested against).
    public static func transposeReference(_ x: Tensor, _ perm: [Int]) -> Tensor {
        let shape = x.shape
        let outShape = perm.map { shape[$0] }
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let v = x.scalars
        var out = [Float](repeating: 0, count: x.count)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<out.count {
            var src = 0
            for d in 0..<shape.count { src += index[d] * strides[perm[d]] }
            out[i] = v[src]
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < outShape[d] { break }; index[d] = 0; d -= 1 }
        }
        return Tensor(shape: outShape, values: out)
    }
}
