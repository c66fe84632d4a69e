import Foundation
import Tensor

/// A `QuantizedGraph` with its weights, ready to run many times. What does not depend on the input
/// is done once here: each full convolution's weights packed into GEMM panels (or Winograd form),
/// the op after which each intermediate value is no longer read, and which convolutions quantize
/// their own results (a conv whose one reader is a `fakeQuant` applies it as it stores them, and
/// the `fakeQuant` passes the value on: 65 of the style predictor's ops, 195 of the transformer's,
/// that each cost a pass over memory and a dispatch to the workers). Building a `Conv2D` per run
/// re-packed all 3.4 M weights of Magenta's style predictor on every painting, more time than its
/// arithmetic at 256².
public struct PreparedQuantizedGraph: @unchecked Sendable {   // immutable after init; Conv2D holds only tensors
    public let graph: QuantizedGraph
    public let weights: [String: Tensor]
    /// The packed convolution of each group-1 `.conv` op, by op index.
    let convolutions: [Int: Conv2D]
    /// For each intermediate value, the index of the last op that reads it.
    let lastUse: [String: Int]
    /// Convolutions (by op index) that apply their reader's quantization, and those readers.
    let fusedQuantization: [Int: FakeQuantization]
    let quantizedByProducer: Set<Int>

    public init(_ graph: QuantizedGraph, weights: [String: Tensor]) throws {
        var convolutions: [Int: Conv2D] = [:]
        var lastUse: [String: Int] = [:]
        for (i, op) in graph.ops.enumerated() {
            for name in QuantizedGraph.operands(op) where weights[name] == nil { lastUse[name] = i }
            guard case let .conv(_, _, weight, bias, stride, _, group) = op, group == 1 else { continue }
            guard let w = weights[weight], w.rank == 4 else { throw ModelError("graph convolution weight \(weight) is missing or not rank 4") }
            let b = try bias.map { name in
                guard let t = weights[name] else { throw ModelError("graph convolution bias \(name) is missing") }
                return t
            }
            convolutions[i] = Conv2D(weight: w, bias: b, stride: stride)
        }
        (self.graph, self.weights, self.convolutions, self.lastUse) = (graph, weights, convolutions, lastUse)
        (fusedQuantization, quantizedByProducer) = Self.quantizingConvolutions(graph, weights: weights)
    }

    /// Each convolution whose output has one reader, a `fakeQuant`, and is not a graph output:
    /// the quantization it applies, by the conv's op index, and the `fakeQuant`s' indices.
    static func quantizingConvolutions(_ graph: QuantizedGraph, weights: [String: Tensor]) -> ([Int: FakeQuantization], Set<Int>) {
        var readers: [String: [Int]] = [:]
        for (i, op) in graph.ops.enumerated() { for name in QuantizedGraph.operands(op) where weights[name] == nil { readers[name, default: []].append(i) } }
        var fused: [Int: FakeQuantization] = [:], consumers = Set<Int>()
        for (i, op) in graph.ops.enumerated() {
            guard case let .conv(_, output, _, _, _, _, _) = op, !graph.outputs.contains(output),
                  let r = readers[output], r.count == 1,
                  case let .fakeQuant(input, _, scale, zeroPoint) = graph.ops[r[0]], input == output else { continue }
            fused[i] = FakeQuantization(scale: scale, zeroPoint: zeroPoint)
            consumers.insert(r[0])
        }
        return (fused, consumers)
    }

    /// Runs the graph on `feeds` (by input name); returns the outputs by name.
    /// An intermediate value is dropped after the last op that reads it, so memory holds only
    /// the values still needed (a 1024² photo's 32-channel maps would otherwise all stay).
    /// `observe`, when given, hears each op with its operands' shapes and the seconds it took (`atelier profile --network magenta`).
    public func run(_ feeds: [String: Tensor], observe: ((QuantizedGraph.Op, [[Int]], Double) -> Void)? = nil) throws -> [String: Tensor] {
        var values = weights
        for name in graph.inputs {
            guard let t = feeds[name] else { throw ModelError("graph input \(name) not given") }
            values[name] = t
        }
        let kept = Set(graph.outputs)
        func get(_ name: String) throws -> Tensor {
            guard let t = values[name] else { throw ModelError("graph value \(name) is not computed before its use") }
            return t
        }
        for (i, op) in graph.ops.enumerated() {
            let start = observe == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            switch op {
            case let .conv(input, output, weight, bias, stride, pads, group):
                var x = try get(input)
                if let conv = convolutions[i] {
                    if pads.contains(where: { $0 != 0 }) { x = pad2d(x, top: pads[0], bottom: pads[2], left: pads[1], right: pads[3], mode: .zero) }
                    values[output] = conv(x, quantize: fusedQuantization[i])
                } else {
                    let w = try get(weight), b = try bias.map(get)
                    guard group == x.shape[1], w.shape[1] == 1 else { throw ModelError("grouped convolution \(group) is not depthwise") }
                    values[output] = depthwiseConv2d(x, weight: w, bias: b, stride: stride, pads: pads, quantize: fusedQuantization[i])
                }
            case let .clip(input, output, lo, hi): values[output] = clipped(try get(input), lo, hi)
            case let .relu(input, output): values[output] = clipped(try get(input), 0, .infinity)
            case let .sigmoid(input, output): values[output] = sigmoid(try get(input))
            case let .sqrt(input, output): values[output] = QuantizedGraph.map(try get(input)) { $0.squareRoot() }
            case let .reciprocal(input, output): values[output] = QuantizedGraph.map(try get(input)) { 1 / $0 }
            case let .add(a, b, output): values[output] = try QuantizedGraph.broadcast(try get(a), try get(b), Add.self)
            case let .sub(a, b, output): values[output] = try QuantizedGraph.broadcast(try get(a), try get(b), Subtract.self)
            case let .mul(a, b, output): values[output] = try QuantizedGraph.broadcast(try get(a), try get(b), Multiply.self)
            case let .globalAveragePool(input, output): values[output] = globalAveragePool(try get(input))
            case let .reflectPad(input, output, pads): values[output] = try QuantizedGraph.reflectPad(try get(input), pads: pads)
            case let .upsample(input, output, factor):
                let x = try get(input)
                values[output] = factor == 1 ? x : upsampleNearest(x, factor: factor)
            case let .reshape(input, output, shape): values[output] = try QuantizedGraph.reshape(try get(input), shape)
            case let .transpose(input, output, permutation): values[output] = QuantizedGraph.transpose(try get(input), permutation)
            case let .fakeQuant(input, output, scale, zeroPoint):
                if quantizedByProducer.contains(i) {
                    values[output] = try get(input)   // its convolution quantized it already
                } else if lastUse[input] == i, !kept.contains(input), weights[input] == nil, !graph.inputs.contains(input), var x = values.removeValue(forKey: input) {
                    fakeQuantizeInPlace(&x, scale: scale, zeroPoint: zeroPoint)   // no other reader: reuse its buffer
                    values[output] = x
                } else {
                    values[output] = fakeQuantize(try get(input), scale: scale, zeroPoint: zeroPoint)
                }
            }
            if let observe {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                observe(op, QuantizedGraph.operands(op).map { values[$0]?.shape ?? [] }, seconds)
            }
            for name in QuantizedGraph.operands(op) where lastUse[name] == i && !kept.contains(name) { values[name] = nil }
        }
        var out: [String: Tensor] = [:]
        for name in graph.outputs { out[name] = try get(name) }
        return out
    }
}
