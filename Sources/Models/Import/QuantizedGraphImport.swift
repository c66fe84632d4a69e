import Foundation
import Tensor

/// Converts an int8 QDQ ONNX graph (tf2onnx's conversion of a TFLite model) into a
/// `QuantizedGraph`: DequantizeLinear of a constant is folded into a float weight (per channel
/// along its `axis`); a QuantizeLinear of an activation becomes `fakeQuant`, and the
/// DequantizeLinear that reads it back is dropped (its output names the fake-quantized value).
/// Only the ops these graphs use are accepted; any other fails the import by name.
public enum QuantizedGraphImport {
    public static func convert(_ model: ONNXModel) throws -> (graph: QuantizedGraph, weights: [String: Tensor]) {
        var constants: [String: Tensor] = model.initializers.mapValues(\.tensor)
        var alias: [String: String] = [:]
        var ops: [QuantizedGraph.Op] = []
        var weights: [String: Tensor] = [:]
        var convs = 0
        func name(_ n: String) -> String { alias[n] ?? n }
        /// A constant operand, kept among the weights under its own name.
        func operand(_ n: String) -> String {
            let n = name(n)
            if let c = constants[n] { weights[n] = c }
            return n
        }
        func constant(_ n: String, _ what: String) throws -> Tensor {
            guard let c = constants[name(n)] else { throw ModelError("\(what) (\(n)) is not a constant") }
            return c
        }
        func scalar(_ n: String, _ what: String) throws -> Float {
            let c = try constant(n, what)
            guard c.count == 1 else { throw ModelError("\(what) has \(c.count) values; only per-tensor activation quantization is supported") }
            return c[0]
        }

        /// A constant holding whole numbers (pads, a shape), each within ±2³¹.
        func integers(_ n: String, _ what: String) throws -> [Int] {
            let values = try constant(n, what).scalars
            guard values.allSatisfy({ $0 == $0.rounded() && abs($0) <= Float(Int32.max) }) else {
                throw ModelError("\(what) holds values that are not integers")
            }
            return values.map { Int($0) }
        }

        for node in model.nodes {
            let ins = node.inputs, out = node.outputs.first ?? ""
            if let needed = Self.minimumInputs[node.opType], ins.count < needed {
                throw ModelError("\(node.name): \(node.opType) has \(ins.count) inputs; it needs \(needed)")
            }
            switch node.opType {
            case "DequantizeLinear":
                if let q = constants[name(ins[0])] {
                    let scale = try constant(ins[1], "\(node.name) scale")
                    let zero = ins.count > 2 && !ins[2].isEmpty ? try constant(ins[2], "\(node.name) zero point") : Tensor(shape: [1], values: [0])
                    constants[out] = try dequantize(q, scale: scale, zeroPoint: zero, axis: node.intAttributes["axis"]?.first ?? 1, node: node.name)
                } else {
                    alias[out] = name(ins[0])   // the QuantizeLinear before it already rounded the value
                }
            case "QuantizeLinear":
                let zero = ins.count > 2 && !ins[2].isEmpty ? try scalar(ins[2], "\(node.name) zero point") : 0
                ops.append(.fakeQuant(input: operand(ins[0]), output: out, scale: try scalar(ins[1], "\(node.name) scale"), zeroPoint: zero))
            case "Conv":
                let k = node.intAttributes["kernel_shape"] ?? []
                guard (node.intAttributes["dilations"] ?? [1, 1]).allSatisfy({ $0 == 1 }), node.stringAttributes["auto_pad"] ?? "NOTSET" == "NOTSET" else {
                    throw ModelError("\(node.name): dilated or auto-padded convolutions are not supported")
                }
                let w = try constant(ins[1], "\(node.name) weight")
                guard w.rank == 4, k.isEmpty || k == [w.shape[2], w.shape[3]] else { throw ModelError("\(node.name): weight \(w.shape)") }
                let strides = node.intAttributes["strides"] ?? [1, 1]
                guard strides.count == 2, strides[0] == strides[1] else { throw ModelError("\(node.name): strides \(strides)") }
                let wName = "conv\(convs).weight", bName = "conv\(convs).bias"
                weights[wName] = w
                if ins.count > 2, !ins[2].isEmpty { weights[bName] = try constant(ins[2], "\(node.name) bias") }
                ops.append(.conv(input: name(ins[0]), output: out, weight: wName, bias: weights[bName] == nil ? nil : bName,
                                 stride: strides[0], pads: node.intAttributes["pads"] ?? [0, 0, 0, 0], group: node.intAttributes["group"]?.first ?? 1))
                convs += 1
            case "Clip":
                ops.append(.clip(input: name(ins[0]), output: out, min: try scalar(ins[1], "\(node.name) min"), max: try scalar(ins[2], "\(node.name) max")))
            case "Relu": ops.append(.relu(input: name(ins[0]), output: out))
            case "Sigmoid": ops.append(.sigmoid(input: name(ins[0]), output: out))
            case "Sqrt": ops.append(.sqrt(input: name(ins[0]), output: out))
            case "Reciprocal": ops.append(.reciprocal(input: name(ins[0]), output: out))
            case "Add": ops.append(.add(a: operand(ins[0]), b: operand(ins[1]), output: out))
            case "Sub": ops.append(.sub(a: operand(ins[0]), b: operand(ins[1]), output: out))
            case "Mul": ops.append(.mul(a: operand(ins[0]), b: operand(ins[1]), output: out))
            case "GlobalAveragePool": ops.append(.globalAveragePool(input: name(ins[0]), output: out))
            case "Pad":
                guard node.stringAttributes["mode"] == "reflect" else { throw ModelError("\(node.name): only reflect padding is supported") }
                ops.append(.reflectPad(input: name(ins[0]), output: out, pads: try integers(ins[1], "\(node.name) pads")))
            case "Resize":
                guard node.stringAttributes["mode"] == "nearest", ins.count > 2,
                      let scales = constants[name(ins[2])]?.scalars, scales.count == 4, scales[0] == 1, scales[1] == 1,
                      scales[2] == scales[3], scales[2] == scales[2].rounded(), scales[2] >= 1, scales[2] <= 64 else {
                    throw ModelError("\(node.name): only nearest upsampling of H and W by an integer factor is supported")
                }
                ops.append(.upsample(input: name(ins[0]), output: out, factor: Int(scales[2])))
            case "Reshape":
                ops.append(.reshape(input: name(ins[0]), output: out, shape: try integers(ins[1], "\(node.name) shape")))
            case "Transpose":
                guard let perm = node.intAttributes["perm"] else { throw ModelError("\(node.name): transpose without perm") }
                ops.append(.transpose(input: name(ins[0]), output: out, permutation: perm))
            default:
                throw ModelError("\(node.name): op \(node.opType) is not supported by the quantized-graph import")
            }
        }
        let inputs = model.graphInputs.filter { model.initializers[$0] == nil }
        return (QuantizedGraph(inputs: inputs, outputs: model.graphOutputs.map(name), ops: ops), weights)
    }

    /// Inputs each op reads without checking for them (a missing one fails the import by name).
    static let minimumInputs: [String: Int] = [
        "DequantizeLinear": 2, "QuantizeLinear": 2, "Conv": 2, "Clip": 3, "Relu": 1, "Sigmoid": 1, "Sqrt": 1,
        "Reciprocal": 1, "Add": 2, "Sub": 2, "Mul": 2, "GlobalAveragePool": 1, "Pad": 2, "Resize": 1, "Reshape": 2,
        "Transpose": 1,
    ]

    /// (q − zero point) · scale, per tensor or per slice along `axis`.
    static func dequantize(_ q: Tensor, scale: Tensor, zeroPoint: Tensor, axis: Int, node: String) throws -> Tensor {
        guard scale.count > 0, zeroPoint.count > 0 else { throw ModelError("\(node): an empty scale or zero point") }
        if scale.count == 1 {
            return Tensor(shape: q.shape, values: q.scalars.map { ($0 - zeroPoint[0]) * scale[0] })
        }
        let a = axis < 0 ? axis + q.rank : axis
        guard a >= 0, a < q.rank, q.shape[a] == scale.count, zeroPoint.count == scale.count || zeroPoint.count == 1 else {
            throw ModelError("\(node): \(scale.count) scales for \(q.shape) along axis \(axis)")
        }
        let inner = q.shape[(a + 1)...].reduce(1, *), s = scale.scalars, z = zeroPoint.scalars, v = q.scalars
        return Tensor(shape: q.shape, values: v.indices.map { i in
            let c = (i / inner) % scale.count
            return (v[i] - z[z.count == 1 ? 0 : c]) * s[c]
        })
    }
}
