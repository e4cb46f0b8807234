import Testing
@testable import PixelwiseNN
import PixelwiseCore

/// A stand-in for the other processes of a data-parallel run: `sum` adds what they would send.
final class FakeGroup: ProcessGroup {
    let rank: Int
    let size: Int
    /// The element-wise sums of the other processes' buffers for the next exchanges, in turn;
    /// when none is left, they send what this process sends (as if on identical data).
    var others: [[Float]]
    private(set) var exchanges: [Int] = []

    init(rank: Int = 0, size: Int, others: [[Float]] = []) {
        self.rank = rank
        self.size = size
        self.others = others
    }

    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        exchanges.append(values.count)
        let sent = others.isEmpty ? nil : others.removeFirst()
        for i in 0..<values.count { values[i] += sent?[i] ?? values[i] * Float(size - 1) }
    }
}

@Suite struct ProcessGroupTests {
    @Test func gradientsBecomeTheirMeanOverTheProcesses() throws {
        let a = Parameter(Tensor(shape: [2, 3], scalars: [0, 0, 0, 0, 0, 0]))
        let unused = Parameter(Tensor(shape: [2], scalars: [5, 6]))
        let b = Parameter(Tensor(shape: [4], scalars: [0, 0, 0, 0]))
        a.accumulate(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        b.accumulate(Tensor(shape: [4], scalars: [-1, 0, 1, 2]))
        // Two other processes; their gradient sums, packed in parameter order (zeros for `unused`).
        let group = FakeGroup(size: 3, others: [[2, 4, 6, 8, 10, 12, 0, 0, 7, 9, 11, 13]])
        try group.averageGradients([a, unused, b])
        #expect(group.exchanges == [12], "one exchange for all parameters")
        #expect(a.gradient?.scalars == [1, 2, 3, 4, 5, 6])
        #expect(unused.gradient == nil)
        #expect(b.gradient?.scalars == [2, 3, 4, 5])
    }

    /// The trainer's data-parallel path (loss and gradient averaging, the agreed stop and
    /// schedule length) changes nothing when the other process trains on the same data.
    @Test func aProcessWithAnIdenticalPartnerTrainsLikeOneAlone() throws {
        let tests = TrainerTests()
        func run(_ group: FakeGroup?) throws -> (weights: [[Float]], losses: [Float]) {
            let trainer = Trainer(graph: try tests.makeGraph(seed: 4, dropout: 0), loss: SoftmaxCrossEntropy(), optimizer: Adam(),
                                  schedule: .polynomial(power: 0.9), baseLearningRate: 0.01)
            trainer.processes = group
            var source = ArrayBatchSource(tests.batches(3, batch: 2))
            var losses: [Float] = []
            try trainer.train(source: &source, iterations: 6) { losses.append($0.loss) }
            return (tests.weights(trainer.graph), losses)
        }
        let alone = try run(nil)
        let group = FakeGroup(size: 2)
        let paired = try run(group)
        #expect(paired.losses == alone.losses)
        #expect(paired.weights == alone.weights)
        // Per iteration: the stop/schedule agreement, the loss, the gradients.
        let parameterCount = tests.weights(try tests.makeGraph(seed: 4, dropout: 0)).reduce(0) { $0 + $1.count }
        #expect(group.exchanges == Array(repeating: [2, 1, parameterCount], count: 6).flatMap { $0 })
    }

    /// A trainer of a small network, as process 0 of 2 with a fake partner.
    func pairedTrainer() throws -> (Trainer, FakeGroup) {
        let trainer = Trainer(graph: try TrainerTests().makeGraph(seed: 4, dropout: 0), loss: SoftmaxCrossEntropy(), optimizer: Adam(),
                              schedule: .constant, baseLearningRate: 0.01)
        let group = FakeGroup(size: 2)
        trainer.processes = group
        return (trainer, group)
    }

    @Test func aStopAskedForByAnyProcessStopsAll() throws {
        // The other process reports a stop request (1) in the agreement before iteration 3.
        let (trainer, group) = try pairedTrainer()
        var source = ArrayBatchSource(TrainerTests().batches(2, batch: 2))
        try trainer.train(source: &source, iterations: 10) { p in
            if p.iteration == 2 { group.others = [[1, 0]] }
        }
        #expect(trainer.iteration == 2)
    }

    @Test func aNonFiniteLossInAnyProcessStopsEveryProcessAfterTheExchange() throws {
        let (trainer, group) = try pairedTrainer()
        var source = ArrayBatchSource(TrainerTests().batches(1, batch: 2))
        var thrown: PixelwiseError?
        do {
            try trainer.train(source: &source, iterations: 3) { p in
                if p.iteration == 1 { group.others = [[0, 0], [.nan]] }  // the agreement, then the partner's loss: NaN
            }
        } catch let error as PixelwiseError { thrown = error }
        #expect(thrown?.description.contains("iteration 2: the loss is NaN (not a number) in at least one process") == true, "\(String(describing: thrown))")
        #expect(trainer.iteration == 1)
    }
}
