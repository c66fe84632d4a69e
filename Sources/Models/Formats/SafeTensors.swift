import Foundation
import Tensor

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian tensor bytes. We store F32 (imported weights) and F16 (our trained
/// weights, half the size); both load as Float tensors.
public enum SafeTensors {
    public enum DType: String { case f32 = "F32", f16 = "F16" }

    /// Loads every tensor in the file at `url`.
    public static func load(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw ModelError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try decode(data, source: url.lastPathComponent)
    }

    public static func decode(_ data: Data, source: String = "safetensors data") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw ModelError("\(source): too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
            throw ModelError("\(source): header length \(headerLength) exceeds the file")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
            throw ModelError("\(source): header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw ModelError("\(source): malformed entry for \(name)")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw ModelError("\(source): \(name) has unsupported dtype \(dtypeName)")
            }
            let width = dtype == .f32 ? 4 : 2
            // Offsets are checked against the data's size before any sum, so nothing overflows.
            let dataBytes = data.count - headerEnd
            guard shape.allSatisfy({ $0 >= 0 }), let count = elementCount(shape),
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes,
                  count.multipliedReportingOverflow(by: width) == (offsets[1] - offsets[0], false) else {
                throw ModelError("\(source): \(name) data offsets \(offsets) do not fit shape \(shape) in the file")
            }
            let begin = headerEnd + offsets[0]
            var t = Tensor(uninitialized: shape)
            t.withUnsafeMutableBufferPointer { dst in
                data.withUnsafeBytes { raw in
                    let src = raw.baseAddress! + begin
                    switch dtype {
                    case .f32:
                        UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: src, byteCount: 4 * count)   // little-endian hosts
                    case .f16:
                        for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                    }
                }
            }
            tensors[name] = t
        }
        return (tensors, metadata)
    }

    /// Serializes tensors (sorted by name, so the bytes are reproducible).
    public static func encode(_ tensors: [String: Tensor], dtype: DType = .f32, metadata: [String: String] = [:]) -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = body.count
            t.withUnsafeBufferPointer { values in
                switch dtype {
                case .f32:
                    body.append(UnsafeBufferPointer(start: values.baseAddress, count: values.count))   // little-endian hosts only (x86-64, arm64)
                case .f16:
                    var bytes = [UInt8](repeating: 0, count: values.count * 2)
                    for (i, v) in values.enumerated() {
                        let bits = Float16(v).bitPattern
                        bytes[2 * i] = UInt8(bits & 0xff); bytes[2 * i + 1] = UInt8(bits >> 8)
                    }
                    body.append(contentsOf: bytes)
                }
            }
            header[name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the tensor data starts 8-byte aligned, as the format recommends.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    /// Writes atomically: a temporary file in the same folder, fsync, then rename over `url`.
    public static func write(_ tensors: [String: Tensor], to url: URL, dtype: DType = .f32, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(encode(tensors, dtype: dtype, metadata: metadata), to: url)
    }
}

/// Crash-safe file replacement: after a crash the file holds either the old or the new contents.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ModelError("cannot create \(tmp.path): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            unlink(tmp.path)
            throw ModelError("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        // Make the rename itself durable.
        let dfd = open(dir.path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Removes the temporary files of writes a crash interrupted (`.<name>.<pid>.tmp` whose
    /// process is gone) from `directory`; returns how many. The files they were replacing are
    /// intact, so this only frees the space.
    @discardableResult
    public static func removeLeftovers(in directory: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed = 0
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let parts = name.dropLast(4).split(separator: ".")
            guard let pid = parts.last.flatMap({ pid_t($0) }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(directory.appendingPathComponent(name).path) == 0 { removed += 1 }
        }
        return removed
    }
}
