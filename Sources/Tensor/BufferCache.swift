import Foundation

/// Keeps recently freed large tensor buffers for reuse.
///
/// A network allocates the same few activation sizes over and over (tens to hundreds of MB at
/// 1024²). Returned straight to the OS, each new buffer costs a fresh mmap and a page fault per
/// 4 KiB while the kernel zeroes it — a fifth of all inference time before this cache. A request
/// takes the smallest cached buffer that holds it with at most 1/8 to spare (a padded plane,
/// 1026² or 1032², then reuses a 1024² one's neighbour); the cache holds at most `limitBytes`,
/// dropping the oldest.
enum BufferCache {
    /// Buffers smaller than this go straight to malloc, which recycles them well itself.
    static let minimumBytes = 1 << 20
    nonisolated(unsafe) static var limitBytes = 512 << 20

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    nonisolated(unsafe) private static var cachedBytes = 0

    /// A buffer of at least `bytes`; `capacity` is its real size, to pass back to `release`.
    static func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        if bytes >= minimumBytes {
            lock.lock()
            var best: Int?
            for (i, entry) in free.enumerated() where entry.bytes >= bytes && entry.bytes <= bytes + bytes / 8 {
                if best == nil || entry.bytes < free[best!].bytes { best = i }
            }
            if let i = best {
                let entry = free.remove(at: i)
                cachedBytes -= entry.bytes
                lock.unlock()
                return (entry.pointer, entry.bytes)
            }
            lock.unlock()
        }
        return (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= minimumBytes, bytes <= limitBytes else { pointer.deallocate(); return }
        lock.lock()
        free.append((bytes, pointer))
        cachedBytes += bytes
        var evicted: [UnsafeMutableRawPointer] = []
        while cachedBytes > limitBytes {
            let oldest = free.removeFirst()
            cachedBytes -= oldest.bytes
            evicted.append(oldest.pointer)
        }
        lock.unlock()
        for p in evicted { p.deallocate() }
    }

    /// Returns every cached buffer to the system (tests, or after a very large request).
    static func purge() {
        lock.lock()
        let all = free
        free.removeAll()
        cachedBytes = 0
        lock.unlock()
        for entry in all { entry.pointer.deallocate() }
    }
}
