import Foundation
import Testing
import PixelwiseAlgorithms
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct MalisLossTests {
    /// Labels of one image: cells of side 2 separated by one-pixel membranes (label 0), one pixel
    /// ignored (−1).
    static func cellLabels(width: Int, height: Int, depth: Int = 1) -> [Int32] {
        var labels = [Int32](repeating: 0, count: width * height * depth)
        for z in 0..<depth { for y in 0..<height { for x in 0..<width where x % 3 != 2 && y % 3 != 2 {
            labels[(z * height + y) * width + x] = 1
        } } }
        labels[labels.count / 2] = -1
        return labels
    }

    /// Logits whose probabilities σ are distinct and ≥ 1/(n+1) apart (no ties in the affinity
    /// order, so the finite-difference step of 1e-2 never changes the spanning tree).
    static func distinctLogits(_ shape: Shape, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let n = shape.count
        let q = (1...n).map { 0.05 + 0.9 * Float($0) / Float(n + 1) }.shuffled(using: &rng)
        return Tensor(shape: shape, scalars: q.map { log($0 / (1 - $0)) })
    }

    @Test func sigmoidGradientMatchesFiniteDifferences() throws {
        let labels = Self.cellLabels(width: 6, height: 5) + Self.cellLabels(width: 6, height: 5).reversed()
        let x = Self.distinctLogits([2, 1, 5, 6], seed: 1)
        try expectGradientMatchesFiniteDifferences(MalisLoss(), at: x, Target(labels: labels))
        try expectGradientMatchesFiniteDifferences(MalisLoss(margin: 0.1, normalisation: .none), at: x, Target(labels: labels))
    }

    @Test func softmaxGradientMatchesFiniteDifferences() throws {
        // Two channels: only x₁ − x₀ matters; keep its values distinct by drawing channel 0 small.
        let z = Self.distinctLogits([1, 1, 5, 6], seed: 2).scalars
        var rng = SeededGenerator(seed: 3)
        let x0 = z.map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let x = Tensor(shape: [1, 2, 5, 6], scalars: x0 + zip(x0, z).map { $0 + $1 })
        try expectGradientMatchesFiniteDifferences(MalisLoss(), at: x, Target(labels: Self.cellLabels(width: 6, height: 5)))
        // ∂L/∂x₀ = −∂L/∂x₁ (Tschopp's ΔI⁻ = −ΔI⁺).
        let g = try MalisLoss().evaluate(x, Target(labels: Self.cellLabels(width: 6, height: 5))).gradient.scalars
        #expect(zip(g[0..<30], g[30..<60]).allSatisfy { $0 == -$1 })
        #expect(g.contains { $0 != 0 })
    }

    @Test func volumeGradientMatchesFiniteDifferences() throws {
        let x = Self.distinctLogits([1, 1, 3, 4, 5], seed: 4)
        try expectGradientMatchesFiniteDifferences(MalisLoss(), at: x, Target(labels: Self.cellLabels(width: 5, height: 4, depth: 3)))
    }

    /// ±100 logits reproduce the labels exactly (σ = 1, or 4·10⁻⁴⁴): no loss, no gradient.
    @Test func perfectPredictionHasZeroLossAndGradient() throws {
        let labels = Self.cellLabels(width: 8, height: 8).map { max($0, 0) }
        let x = Tensor(shape: [1, 1, 8, 8], scalars: labels.map { $0 == 1 ? 100 : -100 })
        let (value, gradient) = try MalisLoss().evaluate(x, Target(labels: labels))
        #expect(value == 0)
        #expect(gradient.scalars.allSatisfy { $0 == 0 })
        // The same image with every probability at 0.5 is far from perfect.
        #expect(try MalisLoss().evaluate(Tensor(zeros: [1, 1, 8, 8]), Target(labels: labels)).value > 0.2)
    }

    /// Two 3×5 cells and a membrane column with one pixel at probability 0.6 (2-channel output).
    /// The cells merge through that pixel only: normalised negative loss 0.6² = 0.36, ∂L/∂A = 2·0.6
    /// on its edge, ∂L/∂z = 1.2 · 0.6 · 0.4 = 0.288 on its logits, nothing elsewhere.
    @Test func weakMembranePixelGetsTheWholeError() throws {
        let w = 7, h = 5, gap = 2 * w + 3
        var labels = [Int32](repeating: 1, count: w * h)
        var z = [Float](repeating: 100, count: w * h)
        for y in 0..<h { labels[y * w + 3] = 0; z[y * w + 3] = -100 }
        z[gap] = log(0.6 / 0.4)
        let x = Tensor(shape: [1, 2, h, w], scalars: [Float](repeating: 0, count: w * h) + z)
        let (value, gradient) = try MalisLoss().evaluate(x, Target(labels: labels))
        #expect(abs(value - 0.36) < 1e-5)
        let g = gradient.scalars
        #expect(abs(g[w * h + gap] - 0.288) < 1e-5 && abs(g[gap] + 0.288) < 1e-5)
        #expect(g.enumerated().allSatisfy { $0.offset % (w * h) == gap || $0.element == 0 })
    }

    /// The batch loss is the mean over images, each image's gradient that of the image alone / N.
    @Test func batchIsTheMeanOfItsImages() throws {
        let x = Self.distinctLogits([2, 1, 5, 6], seed: 5), labels = Self.cellLabels(width: 6, height: 5)
        let both = try MalisLoss().evaluate(x, Target(labels: labels + labels))
        let s = x.scalars
        let singles = try [0, 1].map { n in
            try MalisLoss().evaluate(Tensor(shape: [1, 1, 5, 6], scalars: Array(s[n * 30..<(n + 1) * 30])), Target(labels: labels))
        }
        #expect(abs(both.value - (singles[0].value + singles[1].value) / 2) < 1e-6)
        #expect(isClose(both.gradient.scalars, singles.flatMap { $0.gradient.scalars.map { $0 / 2 } }))
        #expect(singles[0].value != singles[1].value)
    }

    /// Four classes, foreground F = {1, 3}: the loss is that of the consolidation I⁺ = p₁ + p₃ as
    /// a 2-channel output (x₀' = log(e^{x₀} + e^{x₂}), x₁' = log(e^{x₁} + e^{x₃})), and the gradient
    /// matches finite differences in all four channels.
    @Test func consolidatedClassesGradientMatchesFiniteDifferences() throws {
        let w = 6, h = 5, pixels = w * h
        let z = Self.distinctLogits([1, 1, h, w], seed: 6).scalars
        var rng = SeededGenerator(seed: 7)
        // Split each side's mass over two classes at random; foreground logsumexp − background logsumexp = z.
        var x = [Float](repeating: 0, count: 4 * pixels)
        for p in 0..<pixels {
            let a = Float.random(in: 0.2...0.8, using: &rng), b = Float.random(in: 0.2...0.8, using: &rng)
            let base = Float.random(in: -0.5...0.5, using: &rng)
            x[p] = base + log(a); x[2 * pixels + p] = base + log(1 - a)                  // background 0, 2
            x[pixels + p] = base + z[p] + log(b); x[3 * pixels + p] = base + z[p] + log(1 - b)  // foreground 1, 3
        }
        // Labels 0…3: cells (label 1) become classes 1 or 3, membranes classes 0 or 2.
        let binary = Self.cellLabels(width: w, height: h)
        let labels = binary.enumerated().map { p, y -> Int32 in y < 0 ? y : y + (p % 2 == 0 ? 2 : 0) }
        let loss = MalisLoss(foregroundClasses: [1, 3])
        let output = Tensor(shape: [1, 4, h, w], scalars: x)
        try expectGradientMatchesFiniteDifferences(loss, at: output, Target(labels: labels))
        let two = Tensor(shape: [1, 2, h, w], scalars: [Float](repeating: 0, count: pixels) + z)
        let reference = try MalisLoss().evaluate(two, Target(labels: binary))
        let result = try loss.evaluate(output, Target(labels: labels))
        #expect(abs(result.value - reference.value) < 1e-5)
        #expect(reference.value > 0)
        // The same pair of classes in 2 channels (F = {1}) is the binary loss exactly.
        let same = try MalisLoss(foregroundClasses: [1]).evaluate(two, Target(labels: binary))
        #expect(abs(same.value - reference.value) < 1e-6)
        #expect(isClose(same.gradient.scalars, reference.gradient.scalars, tolerance: 1e-6))
    }

    @Test func manyClassesNeedForegroundClasses() {
        #expect(throws: PixelwiseError.self) { try MalisLoss().evaluate(Tensor(zeros: [1, 3, 4, 4]), Target(labels: [Int32](repeating: 0, count: 16))) }
        #expect(throws: PixelwiseError.self) { try MalisLoss(foregroundClasses: [0, 1, 2]).evaluate(Tensor(zeros: [1, 3, 4, 4]), Target(labels: [Int32](repeating: 0, count: 16))) }
        #expect(throws: PixelwiseError.self) { try MalisLoss(foregroundClasses: [3]).evaluate(Tensor(zeros: [1, 3, 4, 4]), Target(labels: [Int32](repeating: 0, count: 16))) }
    }

    @Test func rejectsOtherChannelCountsAndRanks() {
        #expect(throws: PixelwiseError.self) { try MalisLoss().evaluate(Tensor(zeros: [1, 3, 4, 4]), Target(labels: [Int32](repeating: 0, count: 16))) }
        #expect(throws: PixelwiseError.self) { try MalisLoss().evaluate(Tensor(zeros: [1, 1, 16]), Target(labels: [Int32](repeating: 0, count: 16))) }
    }

    /// One evaluation on a 512² patch (probabilities → affinities → both Kruskal passes →
    /// backward to the logits; its timing: `pixelwise-benchmarks malis`).
    @Test func patch512GivesALossAndAGradient() throws {
        let side = 512
        var labels = [Int32](repeating: 0, count: side * side)
        for y in 0..<side { for x in 0..<side where x % 31 != 30 && y % 31 != 30 { labels[y * side + x] = 1 } }
        var rng = SeededGenerator(seed: 9)
        let logits = labels.map { Float($0 == 1 ? 1.5 : -1.5) + Float.random(in: -2...2, using: &rng) }
        let x = Tensor(shape: [1, 2, side, side], scalars: [Float](repeating: 0, count: side * side) + logits)
        let loss = MalisLoss()
        let result = try loss.evaluate(x, Target(labels: labels))
        #expect(result.value > 0 && result.gradient.maxAbs > 0)
    }
}

@Suite struct ScheduledLossTests {
    /// Loss value `tag`, zero gradient: shows which phase evaluated.
    struct Tagged: Loss {
        var tag: Float
        var prepared: [Int] = []
        mutating func prepare(iteration: Int) { prepared.append(iteration) }
        func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
            (tag, Tensor(zeros: output.shape))
        }
    }

    @Test func switchesAtTheIterationTheTrainerReports() throws {
        let g = Graph(inputChannels: 1)
        try g.add("conv", Convolution(inputChannels: 1, outputChannels: 2, kernelSize: 1), g.input)
        g.resetParameters(seed: 1)
        let x = Tensor.random([1, 1, 4, 4], seed: 2)
        let loss = try ScheduledLoss(Tagged(tag: 1), then: Tagged(tag: 2), switchAt: 3)
        let trainer = Trainer(graph: g, loss: loss, optimizer: SGD(learningRate: 0.1), schedule: .constant, baseLearningRate: 0.1)
        var source = ArrayBatchSource([(x, Target(labels: [Int32](repeating: 0, count: 16)))])
        var values: [Float] = []
        try trainer.train(source: &source, iterations: 5) { values.append($0.loss) }
        #expect(values == [1, 1, 1, 2, 2])
        let phases = (trainer.loss as! ScheduledLoss).phases.map { $0.loss as! Tagged }
        #expect(phases[0].prepared == [0, 1, 2] && phases[1].prepared == [3, 4])

        // A resumed run starts in the phase of its iteration.
        var resumed = try ScheduledLoss(Tagged(tag: 1), then: Tagged(tag: 2), switchAt: 3)
        resumed.prepare(iteration: 7)
        #expect(resumed.current == 1)
        #expect(try resumed.evaluate(x, Target(labels: [Int32](repeating: 0, count: 16))).value == 2)
    }

    @Test func rejectsBadSchedules() {
        #expect(throws: PixelwiseError.self) { try ScheduledLoss(Tagged(tag: 1), then: Tagged(tag: 2), switchAt: 0) }
        #expect(throws: PixelwiseError.self) { try ScheduledLoss(phases: [(0, Tagged(tag: 1)), (0, Tagged(tag: 2))]) }
        #expect(throws: PixelwiseError.self) { try ScheduledLoss(phases: [(1, Tagged(tag: 1))]) }
    }
}
