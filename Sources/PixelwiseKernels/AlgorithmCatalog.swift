import Foundation
import PixelwiseCore

/// The measured half of `AlgorithmChooser`: times the candidates of a convolution pass on its real
/// shape the first time the shape is seen, checks each against the direct convolution, and keeps the
/// choice — in memory, and in a small JSON file per machine (`file`) keyed by CPU model, thread
/// count, precision and problem.
///
/// A trial runs each candidate once (warm-up, and the values checked: within
/// `AlgorithmChooser.tolerance` × the direct output's range, else it is out), then times it: a few
/// repetitions for small shapes, one for large ones, so a layer costs a few milliseconds to a few
/// of its own passes, once per machine. The fastest wins; a candidate must be faster than direct.
///
/// `measures` false (the environment variable `PIXELWISE_MEASURE_ALGORITHMS=0`; `make test` sets
/// it, so the suite does not depend on timing) makes `.fastest` the fixed rules.
public final class AlgorithmCatalog: @unchecked Sendable {
    /// Seconds one run of `body` takes (the real clock by default; tests inject their own).
    public typealias Timer = (_ algorithm: AlgorithmChooser.Algorithm, _ body: () throws -> Void) throws -> Double
    /// Runs `algorithm` on `problem` once, returning its result (row-major values) and a closure that
    /// runs it again (timed); throws where it cannot run.
    public typealias TrialRunner = (_ problem: ConvolutionProblem, _ algorithm: AlgorithmChooser.Algorithm) throws -> AlgorithmTrial

    /// The process's catalog: the cache file in `cacheDirectory()`, the real clock.
    public static let shared = AlgorithmCatalog(
        file: cacheDirectory() + "/algorithms.json",
        measures: ProcessInfo.processInfo.environment["PIXELWISE_MEASURE_ALGORITHMS"] != "0")

    /// Where Pixelwise keeps per-machine caches: `$PIXELWISE_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/pixelwise`, else `~/.cache/pixelwise`.
    public static func cacheDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["PIXELWISE_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/pixelwise" }
        return (env["HOME"] ?? NSTemporaryDirectory()) + "/.cache/pixelwise"
    }

    /// This CPU's model name (/proc/cpuinfo), part of every cache key.
    public static let cpuModel: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown CPU"
    }()

    /// One measured problem: every candidate's seconds per run (nil: outside the tolerance or failed).
    public struct Measurement: Sendable {
        public var problem: ConvolutionProblem
        public var seconds: [AlgorithmChooser.Algorithm: Double]
        public var rejected: [AlgorithmChooser.Algorithm]
        public var chosen: AlgorithmChooser.Algorithm
    }

    public let file: String?
    public let measures: Bool
    /// Time one trial may take in total before it stops repeating (seconds).
    public var budget: Double = 0.02
    private let machine: String
    private let timer: Timer
    private let runner: TrialRunner
    private let lock = NSLock()
    private var choices: [String: AlgorithmChooser.Algorithm] = [:]
    private var loaded = false
    private var measuredList: [Measurement] = []
    private var warningList: [String] = []

    /// `file`: the cache (nil: memory only). `machine`: what keys tell machines apart (default: the
    /// CPU model). `timer`, `runner`: injected by tests.
    public init(file: String?, measures: Bool = true, machine: String = AlgorithmCatalog.cpuModel,
                timer: Timer? = nil, runner: TrialRunner? = nil) {
        self.file = file
        self.measures = measures
        self.machine = machine
        self.timer = timer ?? { _, body in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        self.runner = runner ?? AlgorithmTrial.make
    }

    /// Problems measured by this catalog so far (not those found in the cache), in order.
    public var measurements: [Measurement] { lock.withLock { measuredList } }
    /// Problems with the cache file (a corrupt file is ignored, then rewritten).
    public var warnings: [String] { lock.withLock { warningList } }

    /// The generation of the kernels that compete, part of every cache key: raised whenever one of
    /// them gets faster or slower by design, so that choices timed on the earlier kernels are timed
    /// again instead of outliving them (2: the Winograd transforms in C, F(6×6) unrolled).
    public static let kernelGeneration = 3

    /// The cache key of `problem` on this machine.
    func key(_ p: ConvolutionProblem, precision: Precision) -> String {
        "\(machine) | kernels \(Self.kernelGeneration) | \(Threads.count) threads | \(precision.rawValue) | \(p)"
    }

    /// The chosen algorithm for `problem` among `candidates` (which hold `.direct`): cached, or measured now.
    public func choice(for p: ConvolutionProblem, candidates: [AlgorithmChooser.Algorithm], precision: Precision) -> AlgorithmChooser.Algorithm {
        lock.lock()
        defer { lock.unlock() }
        loadIfNeeded()
        let k = key(p, precision: precision)
        if let known = choices[k], candidates.contains(known) { return known }
        let m = measure(p, candidates)
        measuredList.append(m)
        choices[k] = m.chosen
        save(k, m.chosen)
        return m.chosen
    }

    /// Times the candidates (lock held).
    private func measure(_ p: ConvolutionProblem, _ candidates: [AlgorithmChooser.Algorithm]) -> Measurement {
        var m = Measurement(problem: p, seconds: [:], rejected: [], chosen: .direct)
        guard let reference = try? runner(p, .direct), let directTime = try? time(reference, .direct) else { return m }
        m.seconds[.direct] = directTime
        let (low, high) = reference.output.reduce((Float.infinity, -Float.infinity)) { (min($0.0, $1), max($0.1, $1)) }
        let allowed = AlgorithmChooser.tolerance * max(high - low, .leastNormalMagnitude)
        for candidate in candidates where candidate != .direct {
            guard let trial = try? runner(p, candidate), trial.output.count == reference.output.count,
                  zip(trial.output, reference.output).allSatisfy({ abs($0 - $1) <= allowed }) else {
                m.rejected.append(candidate)
                continue
            }
            guard let t = try? time(trial, candidate) else { m.rejected.append(candidate); continue }
            m.seconds[candidate] = t
        }
        // A second look at the close contenders: one timing on a loaded or noisy machine can be a
        // tenth off, as much as the contenders differ. Those within `recheckMargin` of the fastest
        // are timed again, one after the other (each on fresh operands beside the direct reference, as
        // in the first round, so memory stays what it was), and
        // keep their better time.
        if let fastest = m.seconds.values.min() {
            let close = m.seconds.filter { $0.value <= fastest * (1 + Self.recheckMargin) }.map(\.key)
            if close.count > 1 {
                for candidate in AlgorithmChooser.Algorithm.allCases where close.contains(candidate) {
                    let again = candidate == .direct ? try? time(reference, .direct)
                                                     : (try? runner(p, candidate)).flatMap { try? time($0, candidate) }
                    if let again { m.seconds[candidate] = min(m.seconds[candidate]!, again) }
                }
            }
        }
        // Never slower than direct: a candidate must beat it (ties stay direct).
        if let best = m.seconds.min(by: { $0.value < $1.value || ($0.value == $1.value && $0.key == .direct) }), best.value < directTime {
            m.chosen = best.key
        }
        return m
    }

    /// Candidates within this fraction of the fastest are timed a second time.
    public static let recheckMargin = 0.15

    /// Seconds per run: the best of up to five, as many as fit in `budget` (at least one).
    private func time(_ trial: AlgorithmTrial, _ algorithm: AlgorithmChooser.Algorithm) throws -> Double {
        var best = try timer(algorithm, trial.run), spent = best, runs = 1
        while runs < 5 && spent + best < budget {
            let t = try timer(algorithm, trial.run)
            best = min(best, t)
            spent += t
            runs += 1
        }
        return best
    }

    // MARK: The cache file

    private struct FileContents: Codable {
        var version: Int
        var choices: [String: AlgorithmChooser.Algorithm]
    }

    /// Reads the cache file once (lock held); a corrupt one is a warning, never an error.
    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        if let stored = readFile() { choices.merge(stored) { mine, _ in mine } }
    }

    private func readFile() -> [String: AlgorithmChooser.Algorithm]? {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return nil }
        guard let contents = try? JSONDecoder().decode(FileContents.self, from: data), contents.version == 1 else {
            warn("pixelwise: warning: ignoring the algorithm cache \(file) (not a version-1 algorithm cache); it will be rewritten")
            return nil
        }
        return contents.choices
    }

    /// Adds one choice to the file: read, merge (another process may have added some), write atomically.
    private func save(_ key: String, _ algorithm: AlgorithmChooser.Algorithm) {
        guard let file else { return }
        var merged = readFile() ?? [:]
        merged[key] = algorithm
        do {
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(FileContents(version: 1, choices: merged)).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            warn("pixelwise: warning: cannot write the algorithm cache \(file) (\(error.localizedDescription)); choices are kept for this run only")
        }
    }

    private func warn(_ message: String) {
        guard !warningList.contains(message) else { return }
        warningList.append(message)
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// One candidate run on a problem's real shape, with seeded random operands.
public struct AlgorithmTrial {
    /// The pass's result in row-major order.
    public var output: [Float]
    /// Runs the pass again (what is timed).
    public var run: () throws -> Void

    public init(output: [Float], run: @escaping () throws -> Void) {
        self.output = output
        self.run = run
    }

    /// A trial's seeded operands: the activation the pass reads (`p.input`, in `p.layout`), the weight
    /// (uniform with a He-like scale), a bias, and for backward weights dL/dy.
    public static func operands(_ p: ConvolutionProblem) -> (input: Tensor, weight: Tensor, bias: Tensor, dy: Tensor?) {
        let input = Tensor.random(p.input, seed: 1).inLayout(p.layout)
        let scale = 1 / Float(max(1, p.weight.count / p.weight[0])).squareRoot()
        let weight = Tensor.random(p.weight, in: -scale...scale, seed: 2)
        let bias = Tensor.random([p.weight[p.transposed ? 1 : 0]], seed: 3)
        let dy = p.pass == .backwardWeights ? Tensor.random(p.otherActivation, seed: 4).inLayout(p.layout) : nil
        return (input, weight, bias, dy)
    }

    /// The trial of `algorithm` on `p`, through the same kernels training and plans call.
    public static func make(_ p: ConvolutionProblem, _ algorithm: AlgorithmChooser.Algorithm) throws -> AlgorithmTrial {
        let options = ExecutionOptions(algorithms: .only(algorithm))
        let g = p.geometry
        let (input, weight, bias, gradient) = operands(p)
        func trial(_ body: @escaping () throws -> Tensor) throws -> AlgorithmTrial {
            AlgorithmTrial(output: try body().scalars, run: { _ = try body() })
        }
        switch p.pass {
        case .forward where p.transposed && algorithm == .blockScatter:
            return try trial { BlockTransposedConvolution.forward(input, weight: weight, bias: bias) }
        case .forward where p.stage != .training && algorithm.winogradTile != nil:
            // As a plan runs it: weights transformed once, the forward pass timed.
            let kernel = makeWinogradKernel(weightShape: p.weight, relu: false, tile: algorithm.winogradTile!)
            kernel.setWeights(weight, bias: bias)
            let out = p.outputShape
            var workspace = [Float](repeating: 0, count: kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: out, tile: kernel.tile)))
            let x = input.inLayout(.channelsLast)
            return try trial {
                let y = Tensor(uninitialized: out, layout: .channelsLast)
                workspace.withUnsafeMutableBufferPointer { ws in
                    kernel.forward(UnsafePointer(x.storage.pointer), input: p.input, output: out, padding: g.paddingLow,
                                   into: y.storage.pointer, workspace: ws.baseAddress!)
                }
                return y
            }
        case .forward:
            return try trial {
                try ConvolutionKernel.forward(input, weight: weight, bias: bias, outputShape: p.outputShape, geometry: g,
                                              transposed: p.transposed, training: p.stage == .training, options: options)
            }
        case .backwardData:
            return try trial {
                try ConvolutionKernel.backwardData(input, weight: weight, inputShape: p.outputShape, geometry: g,
                                                   transposed: p.transposed, options: options)
            }
        case .backwardWeights:
            let dy = gradient!
            return try trial {
                try ConvolutionKernel.backwardWeights(dy, input: input, weightShape: p.weight, hasBias: true, geometry: g,
                                                      transposed: p.transposed, options: options).weight
            }
        }
    }
}
