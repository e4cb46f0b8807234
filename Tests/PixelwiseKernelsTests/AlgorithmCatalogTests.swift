import Foundation
import PixelwiseCore
import PixelwiseTestSupport
import Testing
@testable import PixelwiseKernels

/// The measured choice (`AlgorithmChooser` with `.fastest`) with an injected timer and trials, and
/// its per-machine cache file.
@Suite struct AlgorithmCatalogTests {
    typealias Algorithm = AlgorithmChooser.Algorithm
    static let fastest = ExecutionOptions(algorithms: .fastest)
    /// A wide 3×3 backward-weights pass: direct, Winograd and the shifted weight gradient all compute it.
    static let problem = ConvolutionProblem(stage: .training, pass: .backwardWeights, input: [1, 64, 48, 48], weight: [64, 64, 3, 3],
                                            geometry: ConvolutionGeometry(stride: [1, 1], dilation: [1, 1], paddingLow: [1, 1], paddingHigh: [1, 1]),
                                            transposed: false)

    /// A catalog whose trials return `output(algorithm)` and whose timer reports `seconds[algorithm]`.
    static func catalog(file: String? = nil, machine: String = "test CPU", seconds: [Algorithm: Double],
                        output: @escaping (Algorithm) -> [Float] = { _ in [0, 1, 2, 3] },
                        timed: (@Sendable (Algorithm) -> Void)? = nil) -> AlgorithmCatalog {
        AlgorithmCatalog(file: file, machine: machine,
                         timer: { algorithm, body in
                             try body()
                             timed?(algorithm)
                             return seconds[algorithm] ?? 1
                         },
                         runner: { _, algorithm in AlgorithmTrial(output: output(algorithm), run: {}) })
    }

    @Test func neverPicksACandidateMeasuredSlowerThanDirect() {
        #expect(AlgorithmChooser.candidates(for: Self.problem, options: Self.fastest) == [.direct, .winograd, .shiftedWeightGradient])
        let slower = Self.catalog(seconds: [.direct: 1.0, .winograd: 1.5, .shiftedWeightGradient: 1.2])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: slower) == .direct)
        let tie = Self.catalog(seconds: [.direct: 1.0, .winograd: 1.0, .shiftedWeightGradient: 1.0])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: tie) == .direct, "a tie stays direct")
        let faster = Self.catalog(seconds: [.direct: 1.0, .winograd: 0.4, .shiftedWeightGradient: 0.6])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: faster) == .winograd)
        let m = faster.measurements
        #expect(m.count == 1 && m[0].seconds[.direct] == 1.0 && m[0].seconds[.winograd] == 0.4 && m[0].chosen == .winograd)
    }

    /// Contenders within 15 % of the fastest are timed again and keep their better time: a first
    /// timing 10 % off (a busy moment) no longer decides; one far behind is not timed again.
    @Test func closeContendersAreTimedAgain() {
        final class Times: @unchecked Sendable {
            let lock = NSLock()
            var calls: [Algorithm: Int] = [:]
            /// Winograd's first timing is unlucky (0.55), its later ones 0.45; the shifted gradient always 0.5.
            func seconds(_ a: Algorithm) -> Double {
                lock.withLock {
                    calls[a, default: 0] += 1
                    switch a {
                    case .winograd: return calls[a] == 1 ? 0.55 : 0.45
                    case .shiftedWeightGradient: return 0.5
                    default: return 1.0
                    }
                }
            }
        }
        let times = Times()
        let catalog = AlgorithmCatalog(file: nil, machine: "test CPU", timer: { algorithm, body in
            try body()
            return times.seconds(algorithm)
        }, runner: { _, _ in AlgorithmTrial(output: [0, 1, 2, 3], run: {}) })
        catalog.budget = 0  // one timing per look
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: catalog) == .winograd)
        #expect(times.calls[.winograd] == 2 && times.calls[.shiftedWeightGradient] == 2)
        #expect(times.calls[.direct] == 1, "direct, twice as slow, is not timed again")
        #expect(catalog.measurements.first?.seconds[.winograd] == 0.45)
    }

    @Test func candidatesOutsideTheToleranceAreRejected() {
        // Range 3 → 3e-4 allowed: Winograd is off by 1e-3 (out), the shifted gradient by 1e-4 (in).
        let catalog = Self.catalog(seconds: [.direct: 1.0, .winograd: 0.2, .shiftedWeightGradient: 0.5], output: { a in
            switch a {
            case .winograd: return [0, 1, 2, 3.001]
            case .shiftedWeightGradient: return [0, 1, 2, 3.0001]
            default: return [0, 1, 2, 3]
            }
        })
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: catalog) == .shiftedWeightGradient)
        #expect(catalog.measurements.first?.rejected == [.winograd])
    }

    @Test func choicesAreCachedInMemoryAndInTheFileAndKeyedByMachine() throws {
        let folder = try ScratchFolder()
        let file = folder.file("cache/algorithms.json")
        let first = Self.catalog(file: file, seconds: [.direct: 1.0, .winograd: 0.5, .shiftedWeightGradient: 0.7])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: first) == .winograd)
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: first) == .winograd)
        #expect(first.measurements.count == 1, "measured once")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("test CPU") && text.contains("\"winograd\"") && text.contains("\"version\" : 1"))

        // Another process on the same machine reads the file and times nothing.
        let second = Self.catalog(file: file, seconds: [:], timed: { a in Issue.record("timed \(a)") })
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: second) == .winograd)
        #expect(second.measurements.isEmpty && second.warnings.isEmpty)

        // Another CPU model measures for itself, and both entries stay in the file.
        let other = Self.catalog(file: file, machine: "other CPU", seconds: [.direct: 1.0, .winograd: 2.0, .shiftedWeightGradient: 0.5])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: other) == .shiftedWeightGradient)
        let both = try String(contentsOfFile: file, encoding: .utf8)
        #expect(both.contains("test CPU") && both.contains("other CPU"))
        // Precision and thread count are part of the key.
        #expect(first.key(Self.problem, precision: .float32) != first.key(Self.problem, precision: .bfloat16))
        #expect(first.key(Self.problem, precision: .float32).contains("\(Threads.count) threads"))
        #expect(first.key(Self.problem, precision: .float32).contains("| kernels \(AlgorithmCatalog.kernelGeneration) |"),
                "choices timed on earlier kernels are not reused")
    }

    @Test(arguments: ["not json at all", "{\"version\": 1, \"choices\": {\"k\": \"no-such-algorithm\"}}", "{\"version\": 9, \"choices\": {}}", ""])
    func aCorruptCacheIsIgnoredWithAWarningAndRewritten(contents: String) throws {
        let folder = try ScratchFolder()
        let file = folder.file("algorithms.json")
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        let catalog = Self.catalog(file: file, seconds: [.direct: 1.0, .winograd: 0.5, .shiftedWeightGradient: 0.7])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: catalog) == .winograd)
        #expect(catalog.warnings.count == 1 && catalog.warnings[0].contains(file) && catalog.warnings[0].contains("ignoring"))
        let rewritten = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect((try? JSONSerialization.jsonObject(with: rewritten)) != nil, "the file is valid again")
    }

    @Test func anUnwritableCacheIsAWarningNotAnError() throws {
        let folder = try ScratchFolder()
        try "a file".write(toFile: folder.file("blocker"), atomically: true, encoding: .utf8)
        let catalog = Self.catalog(file: folder.file("blocker/algorithms.json"), seconds: [.direct: 1.0, .winograd: 0.5])
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: catalog) == .winograd)
        #expect(catalog.warnings.first?.contains("cannot write") == true)
    }

    @Test func withoutTimingTheDefaultIsTheFixedRules() {
        let catalog = AlgorithmCatalog(file: nil, measures: false, timer: { _, _ in Issue.record("timed"); return 0 })
        #expect(AlgorithmChooser.choose(for: Self.problem, options: Self.fastest, catalog: catalog) == .shiftedWeightGradient)
    }

    @Test func theCacheDirectoryFollowsTheEnvironment() {
        let dir = AlgorithmCatalog.cacheDirectory()
        if let set = ProcessInfo.processInfo.environment["PIXELWISE_CACHE_DIR"], !set.isEmpty {
            #expect(dir == set)
        } else {
            #expect(dir.hasSuffix("pixelwise"))
        }
        #expect(!AlgorithmCatalog.cpuModel.isEmpty)
    }

    /// The real trials on a small wide layer: every candidate within the tolerance of direct, and the
    /// measured choice one of them.
    @Test func realTrialsAgreeWithDirect() throws {
        let p = ConvolutionProblem(stage: .training, pass: .forward, input: [1, 32, 20, 20], weight: [32, 32, 3, 3],
                                   geometry: Self.problem.geometry, transposed: false)
        for pass in [ConvolutionProblem.Pass.forward, .backwardData, .backwardWeights] {
            var q = p
            q.pass = pass
            let direct = try AlgorithmTrial.make(q, .direct).output
            let range = direct.max()! - direct.min()!
            for candidate in AlgorithmChooser.candidates(for: q, options: Self.fastest) {
                let out = try AlgorithmTrial.make(q, candidate).output
                let worst = zip(out, direct).map { abs($0 - $1) }.max()!
                #expect(worst <= AlgorithmChooser.tolerance * range, "\(candidate) \(pass): \(worst) of range \(range)")
            }
            let catalog = AlgorithmCatalog(file: nil, machine: "test")
            #expect(AlgorithmChooser.candidates(for: q, options: Self.fastest).contains(AlgorithmChooser.choose(for: q, options: Self.fastest, catalog: catalog)))
        }
    }
}
