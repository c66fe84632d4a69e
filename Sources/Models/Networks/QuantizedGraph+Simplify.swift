import Tensor

extension QuantizedGraph {
    /// The same computation with fewer passes over memory, for running (not for saving): a
    /// Clip/Relu whose only reader is a `fakeQuant` that saturates at or inside the clip's bounds
    /// is dropped, because the quantization clamps the same values to the same ends. (The
    /// MobileNet's ReLU6 is Clip(0, 6) into a quantization of step 6/255 from zero point −128:
    /// range exactly [0, 6].) Outputs are bit-identical; `QuantizedGraphSimplifyTests` checks it.
    public func simplified() -> QuantizedGraph {
        var readers: [String: Int] = [:]
        for op in ops { for name in Self.operands(op) { readers[name, default: 0] += 1 } }
        var replaced: [String: String] = [:]   // a dropped clip's output → its input
        var kept: [Op] = []
        let outputSet = Set(outputs)
        for (i, op) in ops.enumerated() {
            guard let (input, output, lo, hi) = Self.clipBounds(op), readers[output] == 1, !outputSet.contains(output),
                  let reader = ops[(i + 1)...].first(where: { Self.operands($0).contains(output) }),
                  case let .fakeQuant(_, _, scale, zeroPoint) = reader,
                  Self.saturates(lo, hi, scale: scale, zeroPoint: zeroPoint) else {
                kept.append(op)
                continue
            }
            replaced[output] = input
        }
        let rewired = kept.map { op -> Op in
            guard case let .fakeQuant(input, output, scale, zeroPoint) = op, let source = replaced[input] else { return op }
            return .fakeQuant(input: source, output: output, scale: scale, zeroPoint: zeroPoint)
        }
        return QuantizedGraph(inputs: inputs, outputs: outputs, ops: rewired)
    }

    private static func clipBounds(_ op: Op) -> (input: String, output: String, lo: Float, hi: Float)? {
        switch op {
        case let .clip(input, output, lo, hi): return (input, output, lo, hi)
        case let .relu(input, output): return (input, output, 0, .infinity)
        default: return nil
        }
    }

    /// Whether the quantization already maps `lo` to its lowest level and `hi` to its highest: then
    /// every value the clip would move is quantized to the same level without it (division and
    /// rounding are monotonic).
    static func saturates(_ lo: Float, _ hi: Float, scale: Float, zeroPoint: Float) -> Bool {
        fakeQuantizeReference(lo, scale: scale, zeroPoint: zeroPoint) == (-128 - zeroPoint) * scale
            && fakeQuantizeReference(hi, scale: scale, zeroPoint: zeroPoint) == (127 - zeroPoint) * scale
    }
}
