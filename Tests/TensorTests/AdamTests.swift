import XCTest
import Tensor

final class AdamTests: XCTestCase {
    /// f(θ) = Σ_k Σ_i c_i (θ_i − t_i)², an ill-conditioned quadratic, with ∇f = 2c(θ − t).
    struct Quadratic {
        let targets: [Tensor], curvatures: [Tensor]
        func gradients(_ params: [Tensor]) -> [Tensor] {
            params.indices.map { k in
                let p = params[k].scalars, t = targets[k].scalars, c = curvatures[k].scalars
                return Tensor(shape: params[k].shape, values: p.indices.map { 2 * c[$0] * (p[$0] - t[$0]) })
            }
        }
        func value(_ params: [Tensor]) -> Double {
            params.indices.map { k in
                let p = params[k].scalars, t = targets[k].scalars, c = curvatures[k].scalars
                return p.indices.map { Double(c[$0]) * pow(Double(p[$0] - t[$0]), 2) }.reduce(0, +)
            }.reduce(0, +)
        }
    }

    func makeProblem() -> (Quadratic, [Tensor]) {
        var rng = SeededValues(seed: 41)
        let shapes = [[3, 2, 3, 3], [3], [5, 7]]
        let targets = shapes.map { rng.tensor($0) }
        let curvatures = shapes.map { s in Tensor(shape: s, values: (0..<s.reduce(1, *)).map { _ in pow(10, 2 * rng.next()) }) }
        return (Quadratic(targets: targets, curvatures: curvatures), shapes.map { rng.tensor($0) })
    }

    func testFirstStepMovesEachParameterByTheLearningRate() {
        var params = [Tensor(shape: [3], values: [1, -2, 0.5])]
        var adam = Adam(parameterShapes: [[3]], learningRate: 0.1)
        adam.update(&params, gradients: [Tensor(shape: [3], values: [4, -0.001, 30])])
        // m̂ = g and v̂ = g² after bias correction, so the step is lr · g / (|g| + ε).
        assertClose(params[0], Tensor(shape: [3], values: [0.9, -1.9, 0.4]), tolerance: 1e-5, "first step")
        XCTAssertEqual(adam.step, 1)
    }

    /// The plain per-element update, as the doc comment writes it: the reference the vectorized
    /// update must equal bit for bit, whatever the size (lanes of 8 and a scalar tail).
    func testUpdateEqualsThePlainLoopBitForBit() {
        var rng = SeededValues(seed: 7)
        for weightDecay: Float in [0, 1e-2] {
            for count in [1, 7, 8, 9, 37] {
                var params = [rng.tensor([count])]
                var adam = Adam(parameterShapes: [[count]], learningRate: 0.01, beta1: 0.5, beta2: 0.999)
                adam.weightDecay = weightDecay
                var (theta, m, v) = (params[0].scalars, [Float](repeating: 0, count: count), [Float](repeating: 0, count: count))
                for t in 1...3 {
                    let gradient = rng.tensor([count])
                    adam.update(&params, gradients: [gradient])
                    let c1 = Float(1 - pow(0.5, Double(t))), c2 = Float(1 - pow(Double(Float(0.999)), Double(t)))
                    for (i, raw) in gradient.scalars.enumerated() {
                        let g = weightDecay == 0 ? raw : raw + theta[i] * weightDecay
                        m[i] = 0.5 * m[i] + (1 - 0.5) * g
                        v[i] = 0.999 * v[i] + (1 - 0.999) * g * g
                        theta[i] -= 0.01 * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
                    }
                    XCTAssertEqual(params[0].scalars, theta, "\(count) parameters, λ \(weightDecay), step \(t)")
                    XCTAssertEqual(adam.firstMoments[0].scalars, m)
                    XCTAssertEqual(adam.secondMoments[0].scalars, v)
                }
            }
        }
    }

    func testMinimizesAQuadratic() {
        let (problem, start) = makeProblem()
        var params = start
        var adam = Adam(parameterShapes: start.map(\.shape), learningRate: 0.05)
        let initial = problem.value(params)
        for step in 0..<1500 {
            if step == 1000 { adam.learningRate = 0.005 }
            adam.update(&params, gradients: problem.gradients(params))
        }
        XCTAssertLessThan(problem.value(params), 1e-4 * initial)
        for k in params.indices { assertClose(params[k], problem.targets[k], tolerance: 5e-3, "parameter \(k)") }
    }

    func testStateRoundTripResumesExactly() throws {
        let (problem, start) = makeProblem()
        let shapes = start.map(\.shape)
        var params = start
        var adam = Adam(parameterShapes: shapes, learningRate: 0.02)
        for _ in 0..<7 { adam.update(&params, gradients: problem.gradients(params)) }
        let checkpoint = adam.state, checkpointParams = params
        XCTAssertEqual(checkpoint.count, 1 + 2 * shapes.count)

        for _ in 0..<5 { adam.update(&params, gradients: problem.gradients(params)) }
        var resumed = try Adam(state: checkpoint, parameterShapes: shapes, learningRate: 0.02)
        XCTAssertEqual(resumed.step, 7)
        var resumedParams = checkpointParams
        for _ in 0..<5 { resumed.update(&resumedParams, gradients: problem.gradients(resumedParams)) }
        for k in params.indices { XCTAssertEqual(params[k].scalars, resumedParams[k].scalars, "parameter \(k)") }
        XCTAssertEqual(resumed.step, adam.step)

        var missing = checkpoint
        missing["adam.v.1"] = nil
        XCTAssertThrowsError(try Adam(state: missing, parameterShapes: shapes)) {
            XCTAssertEqual($0 as? Adam.StateError, .missing("adam.v.1"))
        }
        XCTAssertThrowsError(try Adam(state: checkpoint, parameterShapes: [[3, 2, 3, 3], [4], [5, 7]]))
    }
}

final class ExponentialAverageTests: XCTestCase {
    /// a ← d·a + (1 − d)·θ after each update, from a = θ₀, against the same recurrence in Double;
    /// a tensor it has not seen starts at its value, and `set` replaces an average.
    func testAverageFollowsTheRecurrence() {
        let shape = [2, 3]
        let thetas = (0..<5).map { t in Tensor(shape: shape, values: (0..<6).map { Float(($0 * 7 + t * 5) % 11) - 4 }) }
        var average = ExponentialAverage(decay: 0.75, of: ["w": thetas[0]])
        var reference = thetas[0].scalars.map(Double.init)
        for theta in thetas.dropFirst() {
            average.update(["w": theta, "new": theta])
            reference = zip(reference, theta.scalars).map { 0.75 * $0 + 0.25 * Double($1) }
        }
        for (a, r) in zip(average.values["w"]!.scalars, reference) { XCTAssertEqual(Double(a), r, accuracy: 1e-5) }
        XCTAssertNotEqual(average.values["w"]!.scalars, thetas.last!.scalars)
        let newStart = thetas[1].scalars.map(Double.init)
        let newExpected = thetas.dropFirst(2).reduce(newStart) { acc, t in zip(acc, t.scalars).map { 0.75 * $0 + 0.25 * Double($1) } }
        for (a, r) in zip(average.values["new"]!.scalars, newExpected) { XCTAssertEqual(Double(a), r, accuracy: 1e-5) }
        average.set(["w": thetas[2]])
        XCTAssertEqual(average.values["w"]!.scalars, thetas[2].scalars)
    }
}
