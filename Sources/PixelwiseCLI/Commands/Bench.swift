import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseModels
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN

extension Precision: ExpressibleByArgument {}

/// `pixelwise bench`: how fast a model labels pixels (and trains) on this machine, per layer.
///
/// Inference runs the same compiled plan `segment` uses (`Graph.inferencePlan`), one row per
/// plan step (fused steps name every node they cover); `--layer-by-layer` times the unfused
/// reference path instead. `--image` times whole-image tiled segmentation (`TiledSegmenter`).
/// Every row names the algorithm of its convolution (`AlgorithmChooser`; `--train`: one row per
/// convolution and pass) and its share of this CPU's fp32 peak, measured at start (`PeakThroughput`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a model's layers, its labelling throughput (pixels/s), and its peak memory.")

    @Option(help: "Model preset (see `pixelwise models list`).")
    var model: String = "tschopp-unet"
    @Option(help: "Benchmark this model file's network and weights instead of a preset.")
    var modelFile: String?
    @Option(help: "Square input size in pixels.")
    var input: Int = 572
    @Option(help: "Batch size.")
    var batch: Int = 1
    @Option(help: "Base filter count, for presets that allow it.")
    var baseFilters: Int?
    @Option(help: "U-Net presets: normalisation batch, instance, group, group:<groups> or none (default: the preset's).")
    var norm: String?
    @Flag(help: "Time a training step (forward, cross-entropy, backward, Adam) instead of inference.")
    var train = false
    @Option(help: "fp32, or bf16: inference with bf16 weights and activations; training with fp32 tensors and bf16 convolution arithmetic (fp32 accumulation).")
    var precision: Precision = .float32
    @Flag(help: "Time the unfused layer-by-layer inference path (the reference) instead of the compiled plan.")
    var layerByLayer = false
    @Option(help: "Time segmenting a random IMAGE×IMAGE image in tiles of --input (overlap 0) instead of one tile.")
    var image: Int?
    @Option(help: "With --image: segment a stack of this many slices.")
    var slices: Int = 1
    @Option(help: "Timed repetitions after the warm-up runs; the median is reported.")
    var repetitions: Int = 5
    @Option(help: "Untimed runs before the timed ones (primitive creation, first touch; a training step's first few run slower than the steady state). --image keeps its one-tile warm-up.")
    var warmup: Int = 1
    @Option(help: "Write the benchmarked network with its weights to this model file (for comparisons).")
    var saveModel: String?
    @Option(help: "Write the input and the output of one inference as raw little-endian float32 NCHW files (input.f32, output.f32) into this folder.")
    var saveTensors: String?
    @Flag(help: "Print one JSON object instead of the table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard input > 0, batch > 0, repetitions > 0, slices > 0, warmup > 0 else {
            throw ValidationError("--input, --batch, --slices, --repetitions and --warmup must be positive")
        }
        if let image, image < 1 { throw ValidationError("--image must be positive") }
        if train && (image != nil || layerByLayer) { throw ValidationError("--train cannot be combined with --image or --layer-by-layer") }
    }

    func run() throws {
        compute.apply()
        // The machine's practical fp32 peak (a large SGEMM), before anything else runs.
        let peak = PeakThroughput.measureGFLOPs()
        let measuredBefore = AlgorithmCatalog.shared.measurements.count
        let graph: Graph
        if let modelFile {
            graph = try readModelFile(modelFile).makeGraph(path: modelFile)
        } else {
            var options = PresetOptions()
            options.baseFilters = baseFilters
            options.norm = try norm.map(UNet.Normalization.init(parsing:))
            graph = try ModelZoo.preset(named: model).makeGraph(options)
        }
        let precision = self.precision.checkedForThisCPU()
        graph.inferenceStrategy = layerByLayer ? .layerByLayer : .planned(precision)
        graph.trainingPrecision = precision
        compute.configure(graph)
        if let saveModel { try ModelFile(graph: graph).write(to: saveModel) }
        if image != nil, graph.spatialRank != 2 {
            throw PixelwiseError.invalidArgument("--image segments a 2-D image; this is a 3-D network (its input is \(input)³ per sample)")
        }
        let inputShape = Shape([batch, graph.inputChannels] + Array(repeating: input, count: graph.spatialRank))
        let shapes = try graph.shapes(for: inputShape)
        let x = Tensor.random(inputShape, seed: 1)
        if let saveTensors { try save(graph, x, into: saveTensors) }
        var summary: [String: Any]
        if let image {
            summary = try benchTiled(graph, side: image)
        } else if train {
            summary = try benchTraining(graph, x, shapes)
        } else {
            summary = try benchInference(graph, x, shapes)
        }
        summary["model"] = modelFile ?? model
        summary["threads"] = Threads.count
        summary["precision"] = precision.rawValue
        summary["algorithms"] = compute.algorithm.rawValue
        summary["peak_gflops_per_second"] = peak
        summary["cpu"] = AlgorithmCatalog.cpuModel
        let measured = AlgorithmCatalog.shared.measurements.dropFirst(measuredBefore)
        summary["passes_measured"] = measured.count
        summary["algorithm_cache"] = AlgorithmCatalog.shared.file ?? ""
        for key in ["layers", "passes"] {
            summary[key] = (summary[key] as? [[String: Any]])?.map { r in
                r.merging(["peak_share": (r["gflops_per_second"] as? Double ?? 0) / peak]) { a, _ in a }
            }
        }
        summary["spatial_rank"] = graph.spatialRank
        summary["peak_rss_bytes"] = peakResidentBytes()
        if json {
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            printTable(summary)
        }
    }

    /// Runs `body` `warmup` times untimed (primitive creation, first touch), then `repetitions` times; returns every time.
    func timed(_ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        return try (0..<repetitions).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    func median(_ t: [Double]) -> Double { t.sorted()[t.count / 2] }

    /// Nominal multiply-accumulates of every node.
    func macs(_ graph: Graph, _ shapes: [Shape]) -> [Int] {
        graph.nodes.enumerated().map { i, node in
            node.layer.multiplyAccumulates(inputs: node.inputs.map { $0 == Graph.inputIndex ? Shape([batch, graph.inputChannels, input, input]) : shapes[$0] },
                                           output: shapes[i])
        }
    }

    func row(_ name: String, _ type: String, _ output: Shape, forward: Double, backward: Double, macs: Int) -> [String: Any] {
        let seconds = forward + backward
        return ["name": name, "type": type, "output": output.description, "forward_ms": forward * 1000, "backward_ms": backward * 1000,
                "gflop": 2 * Double(macs) / 1e9, "gflops_per_second": seconds > 0 ? 2 * Double(macs) / seconds / 1e9 : 0]
    }

    func benchInference(_ graph: Graph, _ x: Tensor, _ shapes: [Shape]) throws -> [String: Any] {
        let nodeMACs = macs(graph, shapes)
        var rows: [[String: Any]] = []
        var times: [Double]
        var extra: [String: Any] = ["path": layerByLayer ? "layer-by-layer" : "plan"]
        if layerByLayer {
            let timer = LayerTimer(nodes: graph.nodes.count)
            _ = try graph.forward(x, mode: .inference)
            graph.timer = timer
            times = try timed { _ = try graph.forward(x, mode: .inference) }
            graph.timer = nil
            let runs = Double(repetitions + warmup)
            for (i, node) in graph.nodes.enumerated() {
                rows.append(row(node.name, node.layer.kind, shapes[i], forward: timer.forward[i] / runs, backward: 0, macs: nodeMACs[i]))
            }
        } else {
            let plan = try graph.inferencePlan(for: x.shape, precision: precision)
            _ = try graph.forward(x, mode: .inference)
            plan.program.timing = true
            plan.program.resetTiming()
            times = try timed { _ = try graph.forward(x, mode: .inference) }
            plan.program.timing = false
            let runs = Double(repetitions + warmup)
            for (s, covered) in plan.stepNodes.enumerated() {
                let name = plan.program.stepNames[s]
                let reorder = plan.program.isReorder(s)
                let type = reorder ? "Reorder" : covered.map { graph.nodes[$0].layer.kind }.joined(separator: "+")
                var r = row(name, type, shapes[covered.last!], forward: plan.program.stepSeconds[s] / runs, backward: 0,
                            macs: reorder ? 0 : covered.reduce(0) { $0 + nodeMACs[$1] })
                if !reorder, let algorithm = covered.lazy.compactMap({ plan.algorithms[$0] }).first { r["algorithm"] = algorithm.rawValue }
                rows.append(r)
            }
            extra["arena_bytes"] = plan.program.arenaBytes
            extra["scratchpad_bytes"] = plan.program.scratchpadBytes
            extra["plan_weight_bytes"] = plan.program.weightBytes
            extra["steps"] = plan.program.stepNames.count
        }
        let out = shapes.last!
        let seconds = median(times)
        let flop = 2 * Double(nodeMACs.reduce(0, +))
        return extra.merging([
            "mode": "inference", "input": input, "output": out[2], "batch": batch, "seconds_per_iteration": seconds, "seconds_all": times,
            "pixels_per_second": Double(out.count / out[1]) / seconds, "gflop_per_iteration": flop / 1e9,
            "gflops_per_second": flop / seconds / 1e9, "layers": rows,
        ]) { a, _ in a }
    }

    func benchTraining(_ graph: Graph, _ x: Tensor, _ shapes: [Shape]) throws -> [String: Any] {
        let out = shapes.last!
        var optimizer = Adam(learningRate: 1e-4)
        let loss = SoftmaxCrossEntropy()
        let pixels = out.count / out[1]
        let labels = (0..<pixels).map { Int32($0 % out[1]) }
        let timer = LayerTimer(nodes: graph.nodes.count)
        let times = try timed {
            graph.zeroGradients()
            let y = try graph.forward(x, mode: .training)
            let (_, g) = try loss.evaluate(y, Target(labels: labels))
            try graph.backward(g)
            optimizer.update(graph.parameters)
            graph.timer = timer
        }
        graph.timer = nil
        let nodeMACs = macs(graph, shapes)
        // The timer is attached after the first warm-up run: it saw the other ones and the timed ones.
        let runs = Double(repetitions + warmup - 1)
        let rows = graph.nodes.enumerated().map { i, node in
            row(node.name, node.layer.kind, shapes[i], forward: timer.forward[i] / runs,
                backward: timer.backward[i] / runs, macs: 3 * nodeMACs[i])
        }
        let seconds = median(times)
        let flop = 6 * Double(nodeMACs.reduce(0, +))
        return ["mode": "train", "passes": try passRows(graph, x.shape), "input": input, "output": out[2], "batch": batch, "seconds_per_iteration": seconds, "seconds_all": times,
                "pixels_per_second": Double(pixels) / seconds, "gflop_per_iteration": flop / 1e9,
                "gflops_per_second": flop / seconds / 1e9, "layers": rows]
    }

    /// One row per convolution and training pass: the algorithm the chooser runs it with, timed on
    /// its own (the median of `repetitions` runs after the trial's warm-up), and its direct-equivalent
    /// GFLOP/s (a Winograd pass does fewer multiplications than it is credited with).
    func passRows(_ graph: Graph, _ inputShape: Shape) throws -> [[String: Any]] {
        var times: [ConvolutionProblem: (AlgorithmChooser.Algorithm, Double)] = [:]
        return try graph.trainingConvolutionPasses(inputShape: inputShape).map { name, p in
            if times[p] == nil {
                let algorithm = AlgorithmChooser.choose(for: p, options: graph.trainingOptions)
                let trial = try AlgorithmTrial.make(p, algorithm)
                times[p] = (algorithm, median(try timed(trial.run)))
            }
            let (algorithm, seconds) = times[p]!
            return ["name": name, "pass": p.pass.rawValue, "algorithm": algorithm.rawValue, "output": p.outputShape.description,
                    "ms": seconds * 1000, "gflops_per_second": 2 * Double(p.multiplyAccumulates) / seconds / 1e9]
        }
    }

    /// Segments a random side×side image (or stack) in tiles of `input`, without overlap.
    func benchTiled(_ graph: Graph, side: Int) throws -> [String: Any] {
        let segmenter = try TiledSegmenter(graph: graph, tile: input, overlap: 0)
        let stack = (0..<slices).map { Tensor.random([1, graph.inputChannels, side, side], in: 0...1, seed: UInt64($0 + 1)) }
        let tile = segmenter.tile(forHeight: side, width: side)
        // Warm up on one tile's worth of image (the same tile shape), not on the whole stack.
        _ = try segmenter.segment(Tensor.random([1, graph.inputChannels, tile.output, tile.output], seed: 99))
        // The single-tile figure (one --input tile through the same plan path), timed alternately
        // with the whole images so that both see the same machine load.
        // The first whole-image run comes before the single tile's plan exists, so that the peak
        // RSS reported is that of segmenting alone.
        var start = DispatchTime.now().uptimeNanoseconds
        for image in stack { _ = try segmenter.segment(image) }
        var times = [Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9], singleTimes: [Double] = []
        let tiledPeak = peakResidentBytes()
        let single = Tensor.random([1, graph.inputChannels, input, input], seed: 1)
        let singleOutput = try graph.outputShape(for: single.shape)
        _ = try graph.forward(single, mode: .inference)
        start = DispatchTime.now().uptimeNanoseconds
        _ = try graph.forward(single, mode: .inference)
        singleTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        for _ in 1..<repetitions {
            start = DispatchTime.now().uptimeNanoseconds
            for image in stack { _ = try segmenter.segment(image) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            _ = try graph.forward(single, mode: .inference)
            singleTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let seconds = median(times)
        let singleRate = Double(singleOutput[2] * singleOutput[3]) / median(singleTimes)
        return ["mode": "tiled", "input": tile.input, "output": tile.output, "image": side, "slices": slices,
                "single_tile_pixels_per_second": singleRate, "single_tile_seconds_all": singleTimes, "tiled_peak_rss_bytes": tiledPeak,
                "tiles_per_slice": segmenter.tileCount(height: side, width: side), "seconds_per_iteration": seconds, "seconds_all": times,
                "pixels_per_second": Double(side * side * slices) / seconds, "batch": 1, "layers": [[String: Any]]()]
    }

    func save(_ graph: Graph, _ x: Tensor, into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let y = try graph.forward(x, mode: .inference)
        for (name, t) in [("input", x), ("output", y)] {
            let bytes = t.scalars.withUnsafeBytes { Array($0) }
            try AtomicFile.write(bytes, to: folder + "/\(name).f32")
        }
    }

    func printTable(_ s: [String: Any]) {
        let rows = s["layers"] as! [[String: Any]]
        let peak = s["peak_gflops_per_second"] as! Double
        if !rows.isEmpty {
            print(pad("step", 40) + pad("type", 34) + pad("output", 20) + pad("algorithm", 24) + "    fwd ms    bwd ms   GFLOP/s   % peak")
            for r in rows {
                print(pad(r["name"] as! String, 40) + pad(r["type"] as! String, 34) + pad(r["output"] as! String, 20)
                      + pad(r["algorithm"] as? String ?? "", 24)
                      + String(format: "%10.2f%10.2f%10.1f%9.1f", r["forward_ms"] as! Double, r["backward_ms"] as! Double,
                               r["gflops_per_second"] as! Double, 100 * (r["peak_share"] as! Double)))
            }
            print("")
        }
        if let passes = s["passes"] as? [[String: Any]], !passes.isEmpty {
            print(pad("convolution", 40) + pad("pass", 18) + pad("output", 20) + pad("algorithm", 24) + "        ms   GFLOP/s   % peak")
            for r in passes {
                print(pad(r["name"] as! String, 40) + pad(r["pass"] as! String, 18) + pad(r["output"] as! String, 20)
                      + pad(r["algorithm"] as! String, 24)
                      + String(format: "%10.2f%10.1f%9.1f", r["ms"] as! Double, r["gflops_per_second"] as! Double, 100 * (r["peak_share"] as! Double)))
            }
            print("")
        }
        let measured = s["passes_measured"] as! Int
        print("\(s["cpu"]!), \(Threads.count) threads: fp32 peak \(String(format: "%.0f", peak)) GFLOP/s (oneDNN SGEMM 2048³); "
              + "GFLOP/s are direct-equivalent; algorithms \(s["algorithms"]!)"
              + (measured > 0 ? ", \(measured) convolution pass(es) measured now and cached in \(s["algorithm_cache"]!)" : ""))
        let mode = s["mode"] as! String, seconds = s["seconds_per_iteration"] as! Double
        var line = "\(s["model"]!) \(mode) \(s["precision"]!)"
        if let a = s["algorithms"] as? String, a != "fastest" { line += " " + a }
        if mode == "tiled" {
            line += String(format: ": %d slice(s) of %d², tiles %d² → %d² (%d per slice); one %d² tile alone: %.1f kpx/s", slices,
                           s["image"] as! Int, s["input"] as! Int, s["output"] as! Int, s["tiles_per_slice"] as! Int, input,
                           (s["single_tile_pixels_per_second"] as! Double) / 1000)
        } else {
            let power = s["spatial_rank"] as? Int == 3 ? "³" : "²"
            line += String(format: " %d\(power) → %d\(power), batch %d", input, s["output"] as! Int, batch)
            if let path = s["path"] as? String { line += " (\(path))" }
        }
        line += String(format: ", %d threads: %.3f s per iteration (median of %d), %.1f kpx/s", Threads.count, seconds, repetitions,
                       (s["pixels_per_second"] as! Double) / 1000)
        if let g = s["gflops_per_second"] as? Double { line += String(format: ", %.0f GFLOP/s (%.0f %% of peak)", g, 100 * g / peak) }
        if let tiled = s["tiled_peak_rss_bytes"] as? Int { line += String(format: ", peak RSS while segmenting %.0f MB", Double(tiled) / 1e6) }
        line += String(format: ", peak RSS %.0f MB", Double(s["peak_rss_bytes"] as! Int) / 1e6)
        if let arena = s["arena_bytes"] as? Int {
            line += String(format: " (plan: arena %.0f MB, weights %.0f MB, scratchpad %.0f MB)", Double(arena) / 1e6,
                           Double(s["plan_weight_bytes"] as! Int) / 1e6, Double(s["scratchpad_bytes"] as! Int) / 1e6)
        }
        print(line)
    }
}

/// Left-aligns `s` in a column of `width` characters (one space at least between columns).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
