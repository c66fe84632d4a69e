import Dispatch

/// Wall time per named phase of a training step, summed over the steps it watched. A trainer
/// with a clock (`StyleBankTrainer.clock`) times its own phases, so `atelier profile` reports
/// the step exactly as training runs it instead of a copy of it.
public final class PhaseClock {
    /// Phase names in the order they first ran, with their total seconds and how often they ran.
    public private(set) var phases: [(name: String, seconds: Double, count: Int)] = []
    private var index: [String: Int] = [:]

    public init() {}

    /// Runs `body`, adding its wall time to phase `name`.
    public func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { add(name, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try body()
    }

    func add(_ name: String, seconds: Double) {
        if let i = index[name] {
            phases[i].seconds += seconds
            phases[i].count += 1
        } else {
            index[name] = phases.count
            phases.append((name, seconds, 1))
        }
    }

    public func reset() {
        phases = []
        index = [:]
    }
}

extension Optional where Wrapped == PhaseClock {
    /// `body` timed when there is a clock, else just run.
    func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        switch self {
        case .some(let clock): return try clock.time(name, body)
        case .none: return try body()
        }
    }
}
