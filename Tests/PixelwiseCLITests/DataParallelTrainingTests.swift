import Foundation
import PixelwiseIO
import Testing
import PixelwiseTestSupport

/// Whether Open MPI's launcher starts two processes on this machine at all (scripts/install-deps
/// installs it; a machine whose sandbox forbids it cannot run these tests, which says nothing
/// about Pixelwise).
let mpirunWorks: Bool = {
    guard FileManager.default.isExecutableFile(atPath: CLI.mpirun) else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CLI.mpirun)
    process.arguments = ["-np", "2", "--oversubscribe", "/bin/true"]
    process.environment = ProcessInfo.processInfo.environment.merging(["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

/// `mpirun -np N pixelwise train`: every batch split over N processes, gradients averaged.
@Suite(.enabled(if: mpirunWorks, "mpirun (Open MPI, from scripts/install-deps) cannot start processes here"))
struct DataParallelTrainingTests {
    /// A network without batch normalisation or dropout (whose statistics and masks are per
    /// process), so that two processes with two patches each must follow one process with four:
    /// Tschopp's valid-padding U-Net at 2 base filters, 236² → 52².
    func training(out: String, iterations: Int, _ extra: [String] = []) -> [String] {
        ["train", "--images", "data/images", "--labels", "data/labels", "--model", "tschopp-unet", "--base-filters", "2",
         "--patch", "236", "--batch", "4", "--iterations", String(iterations), "--seed", "3", "--out", out] + extra
    }

    @Test func twoProcessesFollowOneProcessWithTheWholeBatch() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 2, width: 300, height: 260, into: scratch.file("data"))
        let single = try CLI.run(training(out: "one", iterations: 5, ["--threads", "1"]), in: scratch.path)
        #expect(single.status == 0, "\(single.transcript)")
        let parallel = try CLI.runUnderMPI(processes: 2, training(out: "two", iterations: 5), in: scratch.path)
        #expect(parallel.status == 0, "\(parallel.transcript)")
        #expect(parallel.stderr.contains("batch 4 (2 in each of 2 processes), 1 thread(s) per process"), "\(parallel.transcript)")
        // Process 0 alone writes the run folder and prints; one "finished" line, not two.
        #expect(try scratch.contents("two") == ["algorithms.json", "config.yaml", "last.h5", "log.csv", "model.h5", "report.html"])
        #expect(parallel.stderrLines.filter { $0.hasPrefix("finished at iteration 5") }.count == 1, "\(parallel.transcript)")

        // The same loss at every iteration (a mean over the same 4 patches, summed in another order)…
        let one = try logRows(scratch.file("one/log.csv")), two = try logRows(scratch.file("two/log.csv"))
        #expect(one.map(\.iteration) == [1, 2, 3, 4, 5] && two.map(\.iteration) == [1, 2, 3, 4, 5])
        for (a, b) in zip(one, two) {
            let x = Double(a.fields[2])!, y = Double(b.fields[2])!
            #expect(abs(x - y) <= 1e-5 * abs(x), "iteration \(a.iteration): loss \(x) alone, \(y) in two processes")
            #expect(a.fields[3] == b.fields[3], "learning rate at iteration \(a.iteration)")
        }
        // …and the same weights after five Adam steps. Adam divides each gradient by its own running
        // RMS, so the rounding of near-zero gradients (summed over the patches in another order) moves
        // a weight by a small fraction of a step: on top of 1e-4 of the largest weight, allow 0.1 % of
        // the largest movement five steps can make (5 · lr = 5e-3). The biases start at zero and are
        // at most that; a wrong gradient average would differ by whole steps.
        let w1 = try ModelFile.read(from: scratch.file("one/last.h5")), w2 = try ModelFile.read(from: scratch.file("two/last.h5"))
        #expect(w1.parameters.map(\.name) == w2.parameters.map(\.name))
        let movement: Float = 5 * 1e-3
        for ((name, a), (_, b)) in zip(w1.parameters, w2.parameters) {
            let scale = a.scalars.map { abs($0) }.max() ?? 1
            let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale + 1e-3 * movement, "\(name): weights differ by \(worst) (largest weight \(scale))")
        }
        #expect(w2.optimizerStep == 5)
    }

    /// The same for a 3-D network (no normalisation layers, so the processes' shares add up to
    /// the whole batch): a 6-slice volume, 8×16×16 patches.
    @Test func threeDTrainingInTwoProcessesFollowsOneProcess() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 6, width: 24, height: 20, into: scratch.file("data"))
        func volume(out: String) -> [String] {
            ["train", "--images", "data/images", "--labels", "data/labels", "--model", "unet3d", "--norm", "none", "--base-filters", "2",
             "--patch", "16", "--patch-depth", "8", "--batch", "4", "--iterations", "4", "--seed", "3", "--out", out]
        }
        let single = try CLI.run(volume(out: "one") + ["--threads", "1"], in: scratch.path)
        #expect(single.status == 0, "\(single.transcript)")
        let parallel = try CLI.runUnderMPI(processes: 2, volume(out: "two"), in: scratch.path)
        #expect(parallel.status == 0, "\(parallel.transcript)")
        #expect(parallel.stderr.contains("on 1 volume(s), patches 8×16×16 → 8×16×16, batch 4 (2 in each of 2 processes)"), "\(parallel.transcript)")
        let one = try logRows(scratch.file("one/log.csv")), two = try logRows(scratch.file("two/log.csv"))
        #expect(one.map(\.iteration) == [1, 2, 3, 4] && two.map(\.iteration) == [1, 2, 3, 4])
        for (a, b) in zip(one, two) {
            let x = Double(a.fields[2])!, y = Double(b.fields[2])!
            #expect(abs(x - y) <= 1e-5 * abs(x), "iteration \(a.iteration): loss \(x) alone, \(y) in two processes")
        }
        let w1 = try ModelFile.read(from: scratch.file("one/last.h5")), w2 = try ModelFile.read(from: scratch.file("two/last.h5"))
        for ((name, a), (_, b)) in zip(w1.parameters, w2.parameters) {
            let scale = a.scalars.map { abs($0) }.max() ?? 1
            let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale + 1e-3 * 4e-3, "\(name): weights differ by \(worst)")
        }
    }

    @Test func aBatchThatDoesNotSplitIsOneErrorAndNoRunFolder() throws {
        let scratch = try ScratchFolder()
        try SyntheticData.writePairs(count: 1, width: 260, height: 260, into: scratch.file("data"))
        let result = try CLI.runUnderMPI(processes: 2, training(out: "run", iterations: 2, ["--batch", "3"]), in: scratch.path)
        #expect(result.status != 0)
        let errors = result.stderrLines.filter { $0.hasPrefix("pixelwise: error:") }
        #expect(errors == ["pixelwise: error: --batch 3 does not split evenly over 2 processes; use a multiple of 2"], "\(result.transcript)")
        #expect(!scratch.exists("run"))
    }
}
