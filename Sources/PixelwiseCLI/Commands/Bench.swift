import ArgumentParser
import Foundation
import PixelwiseModels

/// `pixelwise bench`: how fast a model labels pixels (and trains) on this machine, per layer.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a model's layers, its labelling throughput (pixels/s), and its peak memory.")

    @Option(help: "Model preset (see `pixelwise models list`).")
    var model: String = "tschopp-unet"
    @Option(help: "Square input size in pixels.")
    var input: Int = 572
    @Option(help: "Batch size.")
    var batch: Int = 1
    @Option(help: "Base filter count, for presets that allow it.")
    var baseFilters: Int?
    @Flag(help: "Time a training step (forward, cross-entropy, backward, Adam) instead of inference.")
    var train = false
    @Option(help: "Timed repetitions after one warm-up run; the median is reported.")
    var repetitions: Int = 5
    @Flag(help: "Print one JSON object instead of the table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard input > 0, batch > 0, repetitions > 0 else { throw ValidationError("--input, --batch and --repetitions must be positive") }
    }

    func run() throws {
        compute.apply()
        var options = PresetOptions()
        options.baseFilters = baseFilters
        let graph = try ModelZoo.preset(named: model).build(options)
        let inputShape = Shape([batch, graph.inputChannels, input, input])
        let shapes = try graph.shapes(for: inputShape)
        let outputShape = shapes.last!
        let x = Tensor.random(inputShape, seed: 1)
        let timer = LayerTimer(nodes: graph.nodes.count)
        var optimizer = Adam(learningRate: 1e-4)
        let loss = SoftmaxCrossEntropy()
        let outPixels = outputShape.count / outputShape[1]
        let labels = (0..<outPixels).map { Int32($0 % outputShape[1]) }

        func once() throws {
            if train {
                graph.zeroGradients()
                let y = try graph.forward(x, mode: .training)
                let (_, g) = try loss.evaluate(y, Target(labels: labels))
                try graph.backward(g)
                optimizer.update(graph.parameters)
            } else {
                _ = try graph.forward(x, mode: .inference)
            }
        }
        try once()  // warm-up: primitive creation, first-touch allocation
        graph.timer = timer
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            try once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        graph.timer = nil
        let median = times.sorted()[times.count / 2]
        let pixelsPerSecond = Double(outPixels) / median
        let peak = PeakThroughput.cachedGFLOPs(threads: Threads.count)
        var totalMACs = 0
        var rows: [[String: Any]] = []
        for (i, node) in graph.nodes.enumerated() {
            let ins = node.inputs.map { $0 == Graph.inputIndex ? inputShape : shapes[$0] }
            let macs = node.layer.multiplyAccumulates(inputs: ins, output: shapes[i]) * (train ? 3 : 1)
            totalMACs += macs
            let seconds = (timer.forward[i] + timer.backward[i]) / Double(repetitions)
            let gflops = seconds > 0 ? 2 * Double(macs) / seconds / 1e9 : 0
            rows.append(["name": node.name, "type": node.layer.kind, "output": shapes[i].description,
                         "forward_ms": timer.forward[i] / Double(repetitions) * 1000,
                         "backward_ms": timer.backward[i] / Double(repetitions) * 1000,
                         "gflop": 2 * Double(macs) / 1e9, "gflops_per_second": gflops,
                         "efficiency": peak > 0 ? gflops / peak : 0])
        }
        let summary: [String: Any] = [
            "model": model, "input": input, "output": outputShape[2], "batch": batch, "mode": train ? "train" : "inference",
            "threads": Threads.count, "seconds_per_iteration": median, "seconds_all": times,
            "pixels_per_second": pixelsPerSecond, "gflop_per_iteration": 2 * Double(totalMACs) / 1e9,
            "gflops_per_second": 2 * Double(totalMACs) / median / 1e9, "peak_gflops_per_second": peak,
            "peak_rss_bytes": peakResidentBytes(), "layers": rows,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(pad("layer", 28) + pad("type", 22) + pad("output", 20) + "    fwd ms    bwd ms   GFLOP/s    eff")
        for r in rows {
            print(pad(r["name"] as! String, 28) + pad(r["type"] as! String, 22) + pad(r["output"] as! String, 20)
                  + String(format: "%10.2f%10.2f%10.1f%6.0f%%", r["forward_ms"] as! Double, r["backward_ms"] as! Double,
                           r["gflops_per_second"] as! Double, 100 * (r["efficiency"] as! Double)))
        }
        print("\n\(model) \(train ? "training" : "inference") " + String(format: "%d² → %d², batch %d, %d threads: %.3f s per iteration (median of %d), %.1f kpx/s, %.0f GFLOP/s (%.0f%% of the measured %.0f GFLOP/s peak), peak RSS %.0f MB",
                     input, outputShape[2], batch, Threads.count, median, repetitions,
                     pixelsPerSecond / 1000, 2 * Double(totalMACs) / median / 1e9,
                     100 * 2 * Double(totalMACs) / median / 1e9 / peak, peak, Double(peakResidentBytes()) / 1e6))
    }
}

/// Left-aligns `s` in a column of `width` characters (one space at least between columns).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
