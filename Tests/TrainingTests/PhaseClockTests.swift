import XCTest
@testable import Training

final class PhaseClockTests: XCTestCase {
    func testSumsTimeAndCountsPerPhaseInFirstRunOrder() {
        let clock = PhaseClock()
        for _ in 0..<3 {
            clock.time("b") { usleep(2000) }
            _ = clock.time("a") { 7 }
        }
        XCTAssertEqual(clock.phases.map(\.name), ["b", "a"])
        XCTAssertEqual(clock.phases.map(\.count), [3, 3])
        XCTAssertGreaterThanOrEqual(clock.phases[0].seconds, 0.006)
        XCTAssertLessThan(clock.phases[1].seconds, clock.phases[0].seconds)
        clock.reset()
        XCTAssertTrue(clock.phases.isEmpty)
    }
}

extension StyleBankTrainerTests {

    /// A trainer with a clock times each phase of its steps: T = 2 stylizing steps, then one of
    /// the auto-encoder, so a cycle runs the stylizing phases twice and the identity phases once.
    func testTrainerReportsItsStepPhases() {
        let (trainer, photos) = makeTrainer(averageDecay: 0.9)
        let clock = PhaseClock()
        trainer.clock = clock
        for _ in 0..<3 { trainer.step(photos) }
        let counts = Dictionary(uniqueKeysWithValues: clock.phases.map { ($0.name, $0.count) })
        for phase in ["encoder", "bank", "decoder", "vgg output", "vgg target", "losses", "vgg ∂x", "tv",
                      "decoder ∂x ∂w", "bank ∂x ∂w", "encoder ∂w", "adam"] {
            XCTAssertEqual(counts[phase], 2, phase)
        }
        for phase in ["identity: encoder", "identity: decoder", "identity: decoder ∂x ∂w", "identity: encoder ∂w", "identity: adam"] {
            XCTAssertEqual(counts[phase], 1, phase)
        }
        XCTAssertEqual(counts["crop"], 3)
        XCTAssertEqual(counts["average"], 3)
    }
}
