import Foundation

/// Keeps recently freed large tensor buffers for reuse.
///
/// A network allocates the same few activation sizes over and over (tens to hundreds of MB at
/// 1024²). Returned straight to the OS, each new buffer costs a fresh mmap and a page fault per
/// 4 KiB while the kernel zeroes it — a fifth of all inference time before this cache. A request
/// takes the smallest cached buffer that holds it with at most 1/8 to spare (a padded plane,
/// 1026² or 1032², then reuses a 1024² one's neighbour).
///
/// Two bounds: the cache holds at most `limitBytes`, and the cache together with the large
/// buffers in use at most `budgetBytes`, dropping the oldest first. A 1024² pass of StyleBank or
/// multistyle26 cycles through about 600 MB of distinct buffers: a 768 MB cache keeps them (over
/// a benchmark run, 0.6 M page faults where 512 MB took 2.0 M; multistyle26 at 1024² 8–20%
/// faster). A 4096² stylization needs about 2.5 GB itself; the budget empties the cache as that
/// grows, so the cache never lifts the peak far past what the image needs (768 MB on top of it
/// without). 2.5 GiB rather than 3: at 3, a 4096² AdaIN stylization peaked at 3.15 GB resident
/// (3.0 GiB), at 2.5 at 2.89 GB, in the same 20 s.
enum BufferCache {
    /// Buffers smaller than this go straight to malloc, which recycles them well itself.
    static let minimumBytes = 1 << 20
    nonisolated(unsafe) static var limitBytes = 768 << 20
    nonisolated(unsafe) static var budgetBytes = 2560 << 20

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    nonisolated(unsafe) private static var cachedBytes = 0
    /// Bytes of large buffers handed out and not yet released.
    nonisolated(unsafe) private static var liveBytes = 0

    /// A buffer of at least `bytes`; `capacity` is its real size, to pass back to `release`.
    static func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        guard bytes >= minimumBytes else { return (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes) }
        lock.lock()
        var best: Int?
        for (i, entry) in free.enumerated() where entry.bytes >= bytes && entry.bytes <= bytes + bytes / 8 {
            if best == nil || entry.bytes < free[best!].bytes { best = i }
        }
        if let i = best {
            let entry = free.remove(at: i)
            cachedBytes -= entry.bytes
            liveBytes += entry.bytes
            lock.unlock()
            return (entry.pointer, entry.bytes)
        }
        liveBytes += bytes
        let evicted = evictOverBudget()   // a fresh buffer: the cache gives way rather than add to the peak
        lock.unlock()
        for p in evicted { p.deallocate() }
        return (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= minimumBytes else { pointer.deallocate(); return }
        lock.lock()
        liveBytes -= bytes
        guard bytes <= limitBytes else { lock.unlock(); pointer.deallocate(); return }
        free.append((bytes, pointer))
        cachedBytes += bytes
        let evicted = evictOverBudget()
        lock.unlock()
        for p in evicted { p.deallocate() }
    }

    /// Drops the oldest cached buffers until both bounds hold; the caller holds the lock and
    /// deallocates what comes back after releasing it.
    private static func evictOverBudget() -> [UnsafeMutableRawPointer] {
        var evicted: [UnsafeMutableRawPointer] = []
        while !free.isEmpty && (cachedBytes > limitBytes || cachedBytes + liveBytes > budgetBytes) {
            let oldest = free.removeFirst()
            cachedBytes -= oldest.bytes
            evicted.append(oldest.pointer)
        }
        return evicted
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

    /// (cached, live) bytes, for tests.
    static var usage: (cached: Int, live: Int) { lock.lock(); defer { lock.unlock() }; return (cachedBytes, liveBytes) }
}
