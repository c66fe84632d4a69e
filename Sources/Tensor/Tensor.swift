/// A dense float32 tensor in row-major (NCHW for images) layout with value semantics.
///
/// Storage is a 64-byte-aligned heap buffer shared copy-on-write between copies, so passing
/// tensors around is cheap and kernels get raw pointers without bounds checks in their loops.
public struct Tensor {
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *), zeroed: true)
    }

    /// A tensor whose contents the caller will overwrite completely (not zeroed).
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *), zeroed: false)
    }

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { src in
            storage.pointer.update(from: src.baseAddress!, count: values.count)
        }
    }

    public init(shape: [Int], repeating value: Float) {
        self.init(uninitialized: shape)
        storage.pointer.update(repeating: value, count: count)
    }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Gives write access, copying the storage first if another tensor shares it.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: count, zeroed: false)
            copy.pointer.update(from: storage.pointer, count: count)
            storage = copy
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return storage.pointer[index] }
        set { precondition(index >= 0 && index < count); withUnsafeMutableBufferPointer { $0[index] = newValue } }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

/// The heap buffer behind a `Tensor`.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    /// Bytes actually allocated (a reused buffer may be a little larger than needed).
    let capacityBytes: Int

    init(count: Int, zeroed: Bool) {
        self.count = count
        let (raw, capacity) = BufferCache.allocate(bytes: Self.bytes(count))
        capacityBytes = capacity
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { BufferCache.release(UnsafeMutableRawPointer(pointer), bytes: capacityBytes) }

    private static func bytes(_ count: Int) -> Int { max(count, 1) * MemoryLayout<Float>.stride }
}
