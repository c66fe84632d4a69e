import Foundation

/// What the long background trainings (`atelier train adain`, `train munit`) share: the loop that
/// steps until the planned iteration or SIGINT/SIGTERM, checkpointing every `checkpointEvery`
/// steps and at the end, and the log of named losses per step.
enum BackgroundTraining {
    /// `step` runs one step and returns the iteration it reached and its losses (in `log`'s order).
    static func run(until iterations: Int, from iteration: Int, checkpointEvery: Int, log: StepLog,
                    step: () -> (iteration: Int, losses: [Float], note: String), save: () throws -> Void) throws {
        let stop = StopRequest()
        var current = iteration
        while current < iterations && !stop.requested {
            let start = Date()
            let r = step()
            current = r.iteration
            log.record(iteration: current, values: r.losses, seconds: Date().timeIntervalSince(start), total: iterations, note: r.note)
            if current % checkpointEvery == 0 { try save() }
        }
        try save()
        print(stop.requested ? "stopped at iteration \(current); checkpoint saved" : "done: \(current) iterations")
    }
}

/// Every step's named losses to OUT/loss.tsv (appended, so a resumed run continues it); every
/// `every` steps a line of their means over the window, the time per step and the time left.
final class StepLog {
    let every: Int
    let names: [String]
    let handle: FileHandle?
    var window: [([Float], Double)] = []
    /// The last five summary lines (weight files' provenance quotes them).
    var recent: [String] = []

    init(every: Int, file: URL, names: [String]) {
        (self.every, self.names) = (max(1, every), names)
        handle = TrainingLog.appending(to: file, header: (["iteration"] + names + ["seconds"]).joined(separator: "\t"))
    }

    func record(iteration: Int, values: [Float], seconds: Double, total: Int, note: String = "") {
        handle?.write(Data((["\(iteration)"] + values.map { String(format: "%g", $0) } + [String(format: "%.2f", seconds)]).joined(separator: "\t").utf8 + [10]))
        window.append((values, seconds))
        guard iteration % every == 0 else { return }
        let n = Float(window.count)
        let means = names.indices.map { i in window.reduce(0) { $0 + $1.0[i] } / n }
        let perStep = window.map(\.1).reduce(0, +) / Double(window.count)
        let line = "it \(iteration)/\(total)  " + zip(names, means).map { String(format: "%@ %.4g", $0, $1) }.joined(separator: "  ")
            + String(format: "  %.2f s/it  eta %@", perStep, TrainingLog.duration(Double(total - iteration) * perStep)) + note
        recent = Array((recent + [line]).suffix(5))
        print(line)
        fflush(stdout)
        window.removeAll()
    }
}
