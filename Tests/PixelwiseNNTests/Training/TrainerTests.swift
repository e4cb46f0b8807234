import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

@Suite struct TrainerTests {
    /// conv 3×3 (1→4) → ReLU → dropout → conv 1×1 (4→2): small, but with every kind of state.
    func makeGraph(seed: UInt64, dropout: Float = 0.2) throws -> Graph {
        let g = Graph(inputChannels: 1)
        var x = try g.add("conv1", Convolution(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: .same), g.input)
        x = try g.add("relu1", ReLU(), x)
        if dropout > 0 { x = try g.add("drop", Dropout(probability: dropout), x) }
        try g.add("classifier", Convolution(inputChannels: 4, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: seed)
        return g
    }

    /// Batches of `batch` 12×12 images: label 1 where the raw value is positive.
    func batches(_ count: Int, batch: Int = 2, seed: UInt64 = 5) -> [(input: Tensor, target: Target)] {
        (0..<count).map { k in
            let x = Tensor.random([batch, 1, 12, 12], seed: seed + UInt64(k))
            return (x, Target(labels: x.scalars.map { $0 > 0 ? 1 : 0 }))
        }
    }

    func weights(_ g: Graph) -> [[Float]] { g.parameters.map { $0.parameter.value.scalars } }

    @Test func learnsAndReportsProgress() throws {
        let trainer = Trainer(graph: try makeGraph(seed: 1, dropout: 0), loss: SoftmaxCrossEntropy(), optimizer: Adam(),
                              schedule: .step(every: 20, factor: 0.5), baseLearningRate: 0.05, warmupIterations: 5)
        var source = ArrayBatchSource(batches(4))
        var seen: [TrainingProgress] = []
        try trainer.train(source: &source, iterations: 60) { seen.append($0) }
        #expect(seen.map(\.iteration) == Array(1...60))
        #expect(trainer.iteration == 60 && trainer.optimizer.step == 60)
        #expect(seen[0].learningRate == 0.01 && seen[4].learningRate == 0.05 && seen[30].learningRate == 0.025)
        #expect(seen.last!.loss < 0.5 * seen[0].loss, "\(seen[0].loss) → \(seen.last!.loss)")
        #expect(seen.allSatisfy { $0.totalIterations == 60 && $0.patchesPerSecond > 0 })
        // Patches, not iterations, per second: 2 patches per batch, 60 batches over the elapsed time.
        let rate = seen.last!.patchesPerSecond * seen.last!.elapsed
        #expect(abs(rate - 120) < 1e-6 * 120, "patches counted \(rate)")
    }

    /// Same seeds (weights, dropout, error masking) give the same weights after N steps, bit for bit.
    @Test func sameSeedSameWeightsBitForBit() throws {
        func run() throws -> [[Float]] {
            let trainer = Trainer(graph: try makeGraph(seed: 7), loss: ErrorMasked(SoftmaxCrossEntropy(), seed: 3),
                                  optimizer: SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), schedule: .cosine,
                                  baseLearningRate: 0.1, accumulationSteps: 2, gradientClipNorm: 1)
            var source = ArrayBatchSource(batches(3))
            try trainer.train(source: &source, iterations: 8) { _ in }
            return weights(trainer.graph)
        }
        let a = try run(), b = try run()
        #expect(a == b)
        #expect(a != weights(try makeGraph(seed: 7)))
    }

    /// Two accumulated batches of one patch each make the same step as one batch of both patches.
    @Test func accumulationEqualsTheCombinedBatch() throws {
        let both = batches(1, batch: 2)[0]
        let xs = both.input.scalars, half = xs.count / 2
        let singles = (0..<2).map { k in
            (input: Tensor(shape: [1, 1, 12, 12], scalars: Array(xs[k * half..<(k + 1) * half])),
             target: Target(labels: Array(both.target.labels[k * 144..<(k + 1) * 144])))
        }
        func train(_ batches: [(input: Tensor, target: Target)], accumulation: Int) throws -> [[Float]] {
            let trainer = Trainer(graph: try makeGraph(seed: 2, dropout: 0), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5),
                                  schedule: .constant, baseLearningRate: 0.5, accumulationSteps: accumulation)
            var source = ArrayBatchSource(batches)
            try trainer.train(source: &source, iterations: 3) { _ in }
            return weights(trainer.graph)
        }
        let a = try train(singles, accumulation: 2), b = try train([both], accumulation: 1)
        let initial = weights(try makeGraph(seed: 2, dropout: 0))
        for (k, (x, y)) in zip(a, b).enumerated() {
            #expect(isClose(x, y, tolerance: 1e-5), "parameter \(k)")
            #expect(x != initial[k])
        }
    }

    struct ScriptedLoss: Loss {
        var values: [Float]
        var calls = 0
        mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
            defer { calls += 1 }
            return (values[min(calls, values.count - 1)], Tensor(zeros: output.shape))
        }
    }

    @Test func nanAndExplodingLossStopWithTheIteration() throws {
        for (values, phrase) in [([Float(1), 1, .nan], "iteration 3: the loss is NaN (not a number)"),
                                 ([Float(1), 1, -.nan], "iteration 3: the loss is NaN (not a number)"),
                                 ([Float(1), 1, .infinity], "iteration 3: the loss is infinite"),
                                 ([1, 2, 5e4], "iteration 3: the loss exploded")] {
            let graph = try makeGraph(seed: 1, dropout: 0)
            let trainer = Trainer(graph: graph, loss: ScriptedLoss(values: values), optimizer: SGD(learningRate: 0.1),
                                  schedule: .constant, baseLearningRate: 0.1)
            var source = ArrayBatchSource(batches(1))
            var steps = 0
            do {
                try trainer.train(source: &source, iterations: 10) { _ in steps += 1 }
                Issue.record("no error for \(values)")
            } catch let PixelwiseError.training(message) {
                #expect(message.hasPrefix(phrase), "\(message)")
            }
            #expect(steps == 2 && trainer.iteration == 2)
        }
    }

    @Test func stopsOnRequestAndResumes() throws {
        let trainer = Trainer(graph: try makeGraph(seed: 1), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1),
                              schedule: .polynomial(power: 0.9), baseLearningRate: 0.1)
        var source = ArrayBatchSource(batches(2))
        var count = 0
        try trainer.train(source: &source, iterations: 10, shouldStop: { count == 4 }) { _ in count += 1 }
        #expect(trainer.iteration == 4)
        try trainer.train(source: &source, iterations: 10, deadline: Date().timeIntervalSince1970 - 1) { _ in count += 1 }
        #expect(trainer.iteration == 4)
        var rates: [Float] = []
        try trainer.train(source: &source, iterations: 10) { rates.append($0.learningRate); count += 1 }
        #expect(trainer.iteration == 10 && count == 10)
        #expect(rates.first == LearningRateSchedule.polynomial(power: 0.9).rate(at: 4, of: 10, base: 0.1))
    }
}
