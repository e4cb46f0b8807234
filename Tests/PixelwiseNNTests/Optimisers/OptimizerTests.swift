import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

/// Several steps on L = Σ (w − t)² with gradient 2(w − t), against the textbook formulas in Double.
@Suite struct OptimizerTests {
    static let start: [Float] = [0.5, -1, 2, 0.25, -0.75]
    static let goal: [Float] = [1, 1, -1, 0, 0.5]

    func gradient(_ w: [Double]) -> [Double] { zip(w, Self.goal).map { 2 * ($0 - Double($1)) } }

    /// Runs `optimizer` for `steps` steps on two parameters holding the same problem split 2 + 3.
    func run(_ optimizer: inout some Optimizer, steps: Int) -> [Float] {
        let a = Parameter(Tensor(shape: [2], scalars: Array(Self.start[0..<2])))
        let b = Parameter(Tensor(shape: [1, 3], scalars: Array(Self.start[2...])))
        for _ in 0..<steps {
            let w = (a.value.scalars + b.value.scalars).map(Double.init)
            let g = gradient(w).map(Float.init)
            a.zeroGradient(); b.zeroGradient()
            a.accumulate(Tensor(shape: [2], scalars: Array(g[0..<2])))
            b.accumulate(Tensor(shape: [1, 3], scalars: Array(g[2...])))
            optimizer.update([("a", a), ("b", b)])
        }
        return a.value.scalars + b.value.scalars
    }

    func close(_ a: [Float], _ b: [Double]) -> Bool {
        zip(a, b).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgdMatchesTextbook(nesterov: Bool, decoupled: Bool) {
        let lr = 0.1, mu = 0.9, lambda = 0.05
        var w = Self.start.map(Double.init), v = [Double](repeating: 0, count: 5)
        for _ in 0..<4 {
            var g = gradient(w)
            if !decoupled { for i in 0..<5 { g[i] += lambda * w[i] } }
            for i in 0..<5 {
                v[i] = mu * v[i] + g[i]
                let d = nesterov ? g[i] + mu * v[i] : v[i]
                if decoupled { w[i] *= 1 - lr * lambda }
                w[i] -= lr * d
            }
        }
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: 0.05, decoupled: decoupled)
        let result = run(&sgd, steps: 4)
        #expect(close(result, w), "\(result) vs \(w)")
        #expect(sgd.step == 4)
        #expect(sgd.state.map(\.name) == ["a.momentum", "b.momentum"])
    }

    @Test func plainSGDWithoutMomentum() {
        var sgd = SGD(learningRate: 0.25, momentum: 0)
        let w = run(&sgd, steps: 1)
        // w − 0.25 · 2(w − t) = (w + t)/2
        #expect(close(w, zip(Self.start, Self.goal).map { Double($0 + $1) / 2 }))
        #expect(sgd.state.isEmpty)
    }

    @Test(arguments: [(0.0, false), (0.1, false), (0.1, true)])
    func adamMatchesTextbook(weightDecay: Double, decoupled: Bool) {
        let lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8
        var w = Self.start.map(Double.init), m = [Double](repeating: 0, count: 5), v = m
        for t in 1...5 {
            var g = gradient(w)
            if !decoupled { for i in 0..<5 { g[i] += weightDecay * w[i] } }
            for i in 0..<5 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                if decoupled { w[i] -= lr * weightDecay * w[i] }
                w[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        var adam = Adam(learningRate: 0.05, weightDecay: Float(weightDecay), decoupled: decoupled)
        let result = run(&adam, steps: 5)
        #expect(close(result, w), "\(result) vs \(w)")
        #expect(adam.state.map(\.name) == ["a.m", "a.v", "b.m", "b.v"])
    }

    /// Saving the state after 2 steps and restoring it into a fresh optimiser continues bit for bit.
    @Test func restoredStateContinuesExactly() throws {
        var straight = Adam(learningRate: 0.05)
        let expected = run(&straight, steps: 3)

        let a = Parameter(Tensor(shape: [2], scalars: Array(Self.start[0..<2])))
        let b = Parameter(Tensor(shape: [1, 3], scalars: Array(Self.start[2...])))
        var first = Adam(learningRate: 0.05), second = Adam(learningRate: 0.05)
        for k in 0..<3 {
            if k == 2 { try second.restore(state: first.state, step: first.step) }
            let g = gradient((a.value.scalars + b.value.scalars).map(Double.init)).map(Float.init)
            a.zeroGradient(); b.zeroGradient()
            a.accumulate(Tensor(shape: [2], scalars: Array(g[0..<2])))
            b.accumulate(Tensor(shape: [1, 3], scalars: Array(g[2...])))
            if k < 2 { first.update([("a", a), ("b", b)]) } else { second.update([("a", a), ("b", b)]) }
        }
        #expect(a.value.scalars + b.value.scalars == expected)
    }

    @Test func parametersWithoutGradientAreLeftAlone() {
        let p = Parameter(Tensor(shape: [2], scalars: [1, 2]))
        var sgd = SGD(learningRate: 1, weightDecay: 0.5)
        sgd.update([("p", p)])
        #expect(p.value.scalars == [1, 2])
    }
}

@Suite struct GradientClippingTests {
    @Test func clipsByGlobalNorm() {
        let a = Parameter(Tensor(zeros: [2])), b = Parameter(Tensor(zeros: [1]))
        a.accumulate(Tensor(shape: [2], scalars: [3, 0]))
        b.accumulate(Tensor(shape: [1], scalars: [4]))
        let norm = clipGradientNorm([("a", a), ("b", b)], maxNorm: 1)
        #expect(norm == 5)
        #expect(isClose(a.gradient!.scalars + b.gradient!.scalars, [0.6, 0, 0.8]))
        // Below the limit nothing changes.
        #expect(clipGradientNorm([("a", a), ("b", b)], maxNorm: 2) <= 1.0001)
        #expect(isClose(a.gradient!.scalars, [0.6, 0]))
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func schedules() {
        #expect(LearningRateSchedule.constant.rate(at: 77, of: 100, base: 0.1) == 0.1)
        let step = LearningRateSchedule.step(every: 10, factor: 0.5)
        #expect([0, 9, 10, 25].map { step.rate(at: $0, of: nil, base: 1) } == [1, 1, 0.5, 0.25])
        let poly = LearningRateSchedule.polynomial(power: 0.9)
        #expect(isClose(poly.rate(at: 50, of: 100, base: 0.01), 0.01 * pow(0.5, 0.9)))
        #expect(poly.rate(at: 0, of: 100, base: 0.01) == 0.01 && poly.rate(at: 100, of: 100, base: 0.01) == 0)
        let cosine = LearningRateSchedule.cosine
        #expect(isClose(cosine.rate(at: 25, of: 100, base: 2), 1 + cos(Double.pi / 4)))
        #expect(cosine.rate(at: 50, of: 100, base: 2) < 1.0001 && cosine.rate(at: 50, of: 100, base: 2) > 0.9999)
    }

    @Test func warmupRampsThenRunsTheScheduleOverTheRest() {
        let s = LearningRateSchedule.polynomial(power: 1)
        #expect([0, 1, 3].map { s.rate(at: $0, of: 104, base: 1, warmup: 4) } == [0.25, 0.5, 1])
        #expect(s.rate(at: 4, of: 104, base: 1, warmup: 4) == 1)
        #expect(isClose(s.rate(at: 54, of: 104, base: 1, warmup: 4), 0.5))
    }

    @Test func codableRoundTrip() throws {
        for s in [LearningRateSchedule.constant, .step(every: 3, factor: 0.1), .polynomial(power: 0.9), .cosine] {
            let data = try JSONEncoder().encode(s)
            #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == s)
        }
    }
}
