import Foundation
import PixelwiseIO
import PixelwiseKernels
import PixelwiseNN
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow
import PixelwiseCore

/// `TrainingSession`: stopping on request with a checkpoint, and resuming from it exactly.
@Suite struct TrainingSessionTests {
    static func tiny(_ scratch: ScratchFolder, out: String, iterations: Int) -> Recipe {
        var recipe = Recipe()
        recipe.images = scratch.file("data/images"); recipe.labels = scratch.file("data/labels")
        recipe.baseFilters = 4; recipe.patch = 64; recipe.batch = 1; recipe.threads = 1; recipe.schedule = .constant
        recipe.iterations = iterations; recipe.out = scratch.file(out)
        return recipe
    }

    static func weights(_ path: String) throws -> [String: [UInt32]] {
        let file = try ModelFile.read(from: path)
        return Dictionary(uniqueKeysWithValues: (file.parameters + file.buffers).map { ($0.name, $0.value.scalars.map(\.bitPattern)) })
    }

    /// A stop requested after iteration 3 ends the run there with a checkpoint (and the code given);
    /// resuming to 6 gives the weights of a straight 6-iteration run, bit for bit.
    @Test func aStopRequestSavesACheckpointAndResumeContinuesExactly() throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 2)
        let stop = StopRequest()
        let session = try TrainingSession(recipe: Self.tiny(scratch, out: "run", iterations: 6))
        var steps: [Int] = []
        session.onEvent = { event in
            if case .step(let iteration, _, _, _, _) = event {
                steps.append(iteration)
                if iteration == 3 { stop.request(code: 42) }
            }
        }
        #expect(try session.run(stop: stop) == .stopped(iteration: 3, code: 42))
        #expect(steps == [1, 2, 3])
        let checkpoint = try ModelFile.read(from: scratch.file("run/last.h5"))
        #expect(checkpoint.optimizerStep == 3)
        #expect(try TrainerState(json: #require(checkpoint.trainerState)).iteration == 3)
        #expect(FileManager.default.fileExists(atPath: scratch.file("run/report.html")))

        var more = Recipe()
        more.iterations = 6
        #expect(try TrainingSession(recipe: more, resume: scratch.file("run")).run() == .finished(iteration: 6))
        #expect(try TrainingSession(recipe: Self.tiny(scratch, out: "straight", iterations: 6)).run() == .finished(iteration: 6))
        #expect(try Self.weights(scratch.file("run/last.h5")) == Self.weights(scratch.file("straight/last.h5")))
    }

    /// A run records its algorithm choices (algorithms.json, one per convolution pass) and a resumed
    /// run follows that file, not a new measurement: edited to Winograd everywhere, the resumed
    /// weights differ from the straight run's; a corrupt file is a one-line error naming it.
    @Test func aRunRecordsItsAlgorithmsAndAResumeFollowsThem() throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 2)
        #expect(try TrainingSession(recipe: Self.tiny(scratch, out: "run", iterations: 2)).run() == .finished(iteration: 2))
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.file("run/algorithms.json")))
        let table = try JSONDecoder().decode(AlgorithmTable.self, from: data)
        #expect(table.choices.count >= 3 && table.choices.keys.contains { $0.contains("backward-weights") })
        try FileManager.default.copyItem(atPath: scratch.file("run"), toPath: scratch.file("edited"))
        try FileManager.default.copyItem(atPath: scratch.file("run"), toPath: scratch.file("corrupt"))

        var more = Recipe()
        more.iterations = 4
        #expect(try TrainingSession(recipe: more, resume: scratch.file("run")).run() == .finished(iteration: 4))
        #expect(try TrainingSession(recipe: Self.tiny(scratch, out: "straight", iterations: 4)).run() == .finished(iteration: 4))
        #expect(try Self.weights(scratch.file("run/last.h5")) == Self.weights(scratch.file("straight/last.h5")))

        var winograd = table
        for key in table.choices.keys where !key.contains(" T ") { winograd.choices[key] = .winograd }
        try TrainingSession.algorithmsJSON(winograd).write(toFile: scratch.file("edited/algorithms.json"), atomically: true, encoding: .utf8)
        #expect(try TrainingSession(recipe: more, resume: scratch.file("edited")).run() == .finished(iteration: 4))
        #expect(try Self.weights(scratch.file("edited/last.h5")) != Self.weights(scratch.file("straight/last.h5")))

        try "{".write(toFile: scratch.file("corrupt/algorithms.json"), atomically: true, encoding: .utf8)
        #expect {
            try TrainingSession(recipe: more, resume: scratch.file("corrupt")).run()
        } throws: { "\($0)".contains("corrupt/algorithms.json") }
    }

    /// A second session in a folder that already holds a run is refused before anything is read.
    @Test func aFolderWithARunIsNotOverwritten() throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 1)
        _ = try TrainingSession(recipe: Self.tiny(scratch, out: "run", iterations: 1)).run()
        #expect(throws: PixelwiseError.self) { try TrainingSession(recipe: Self.tiny(scratch, out: "run", iterations: 1)) }
    }

    /// While a session trains in a folder, a second session resuming that folder (past the
    /// checkpoint check, which last.h5 passes) is refused by the folder's lock and writes nothing;
    /// after the first one ends, the lock is gone and the folder can be resumed.
    @Test func aSecondSessionOnAFolderInUseIsRefusedByItsLock() throws {
        let scratch = try ScratchFolder()
        try scratch.writePairs("data", count: 1)
        var recipe = Self.tiny(scratch, out: "run", iterations: 3)
        recipe.checkpointEvery = 1
        let first = try TrainingSession(recipe: recipe)
        var refusal: String?
        first.onEvent = { event in
            guard case .step(2, _, _, _, _) = event else { return }
            do { try TrainingSession(recipe: Recipe(), resume: scratch.file("run")).run() } catch {
                refusal = "\(error)"
            }
        }
        #expect(try first.run() == .finished(iteration: 3))
        #expect(refusal?.contains("another training run") == true, "\(refusal ?? "not refused")")
        #expect(try TrainerState(json: #require(ModelFile.read(from: scratch.file("run/last.h5")).trainerState)).iteration == 3)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("run/" + RunFolderLock.fileName)))
        var more = Recipe()
        more.iterations = 4
        #expect(try TrainingSession(recipe: more, resume: scratch.file("run")).run() == .finished(iteration: 4))
    }
}
