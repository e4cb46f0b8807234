import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// RUN_DIR/report.html for a training run: curves, the validation table, and for up to three
/// validation images the raw image, ground truth, prediction and an overlay.
public struct TrainingReport {
    public let folder: String
    public let graph: Graph
    public let recipe: Recipe
    public let state: TrainerState
    public let validation: [Sample]
    /// nil for 3-D networks, whose validation volumes are not shown.
    public let tiling: TiledSegmenter?
    /// The patch sizes as the summary shows them (default: the tiling's, `input² → output²`).
    public var patches: String?

    public init(folder: String, graph: Graph, recipe: Recipe, state: TrainerState, validation: [Sample], tiling: TiledSegmenter?) {
        self.folder = folder
        self.graph = graph
        self.recipe = recipe
        self.state = state
        self.validation = validation
        self.tiling = tiling
    }

    /// Writes RUN_DIR/report.html (atomically, through `HTMLReport`).
    public func write() throws {
        var report = HTMLReport(title: "Pixelwise training run: \(graph.metadata["model"] ?? "network")")
        report.summary = [
            ("run folder", folder),
            ("model", "\(graph.metadata["model"] ?? "network"), \(graph.parameterCount) parameters"),
            ("training data", "\(recipe.images ?? "?") + \(recipe.labels ?? "?")"),
            ("iterations", "\(state.iteration) in \(String(format: "%.1f", state.elapsed / 60)) min"),
            ("loss / optimiser", "\(recipe.resolvedLoss) / \(recipe.resolvedOptimizer.rawValue), learning rate "
                + "\(recipe.learningRate) with \(recipe.resolvedSchedule.rawValue) schedule"),
            ("patches", "\(patches ?? tiling.map { "\($0.inputTile)² → \($0.outputTile)²" } ?? "?"), batch \(recipe.resolvedBatch), seed \(recipe.resolvedSeed)"),
        ]
        if state.bestIteration > 0 {
            report.summary.append(("best validation", String(format: "Rand error %.4f at iteration %d", state.bestRandError, state.bestIteration)))
        }
        let (window, loss) = smoothedLoss()
        report.charts.append((title: "Training loss", xLabel: "iteration",
                              series: [.init(name: window > 1 ? "loss (running mean of \(window) iterations)" : "loss",
                                             points: loss, color: "#1f77b4")]))
        if !state.validations.isEmpty {
            let v = state.validations
            report.charts.append((title: "Validation", xLabel: "iteration", series: [
                .init(name: "pixel error", points: v.map { (Double($0.iteration), $0.scores.pixelError) }, color: "#d62728"),
                .init(name: "Rand error", points: v.map { (Double($0.iteration), $0.scores.randError) }, color: "#2ca02c"),
                .init(name: "V_info error", points: v.map { (Double($0.iteration), $0.scores.informationError) }, color: "#9467bd"),
                .init(name: "1 − foreground IoU", points: v.map { (Double($0.iteration), 1 - $0.scores.foregroundIoU) }, color: "#ff7f0e"),
            ]))
            // Validation during training skips the (slow) warping error: no column for it.
            // Runs validated before issue 22 stored per-image-threshold means (no `convention`).
            let convention = v.contains { $0.scores.convention != "set" }
                ? "rows without a threshold convention are means of per-image best thresholds (runs before issue 22)"
                : "the whole validation set at one threshold per measure, the best of 0.0, 0.1, …, 1.0, as the ISBI 2012 scorer does"
            report.tables.append((title: "Validation measures (\(convention))",
                                  header: ["iteration"] + Scores.header.dropFirst().dropLast(),
                                  rows: v.map { [String($0.iteration)] + $0.scores.row.dropFirst().dropLast() }))
        }
        for sample in validation.prefix(3) {
            guard let tiling else { break }
            let probabilities = try tiling.segment(planarTensor(sample.raw))
            let foreground = foregroundProbability(probabilities)
            report.figures.append(HTMLReport.Figure(title: "Validation image " + URL(fileURLWithPath: sample.name).lastPathComponent,
                                                    panels: try panels(sample, foreground), legend: overlayLegend))
        }
        try report.write(to: folder + "/report.html")
    }

    /// Loss as a running mean over up to 20 iterations (a tenth of the run when shorter), at
    /// most ~400 points; returns the window too, for the legend.
    func smoothedLoss() -> (window: Int, points: [(x: Double, y: Double)]) {
        let l = state.losses
        guard !l.isEmpty else { return (1, []) }
        let window = max(1, min(20, l.count / 10))
        let step = max(1, l.count / 400)
        return (window, stride(from: 0, to: l.count, by: step).map { i in
            let part = l[max(0, i - window + 1)...i]
            return (Double(l[i].iteration), Double(part.map(\.loss).reduce(0, +)) / Double(part.count))
        })
    }

    /// Overlay colours (Okabe–Ito, distinguishable with colour-blindness) over the grey raw image.
    static let agreedBackground: (r: Float, g: Float, b: Float) = (0, 114, 178)
    static let falseBackground: (r: Float, g: Float, b: Float) = (230, 159, 0)
    static let missedBackground: (r: Float, g: Float, b: Float) = (204, 121, 167)

    var overlayLegend: [(label: String, color: String)] {
        func hex(_ c: (r: Float, g: Float, b: Float)) -> String { String(format: "#%02x%02x%02x", Int(c.r), Int(c.g), Int(c.b)) }
        return [("overlay: background (label 0) predicted and true", hex(Self.agreedBackground)),
                ("predicted but not true", hex(Self.falseBackground)),
                ("true but missed", hex(Self.missedBackground))]
    }

    func panels(_ sample: Sample, _ foreground: [Float]) throws -> [(caption: String, png: Data)] {
        let (w, h) = (sample.width, sample.height)
        let raw = (0..<(w * h)).map { ((sample.raw.pixels[$0 * sample.raw.channels] + 1) / 2 * 255).rounded().clamped(0, 255) }
        let truth = sample.labels.map { $0 == 1 ? Float(255) : 0 }
        let prediction = foreground.map { $0 > 0.5 ? Float(255) : 0 }
        // Overlay: raw in grey; background pixels (ISBI: membranes) tinted by agreement with the truth.
        var overlay = [Float](repeating: 0, count: w * h * 3)
        for p in 0..<(w * h) {
            let g = raw[p]
            let predicted = prediction[p] == 0, isTrue = sample.labels[p] == 0
            let tint: (r: Float, g: Float, b: Float)? = predicted && isTrue ? Self.agreedBackground
                : predicted ? Self.falseBackground : isTrue ? Self.missedBackground : nil
            if let tint {
                overlay[p * 3] = (0.35 * g + 0.65 * tint.r).rounded()
                overlay[p * 3 + 1] = (0.35 * g + 0.65 * tint.g).rounded()
                overlay[p * 3 + 2] = (0.35 * g + 0.65 * tint.b).rounded()
            } else {
                overlay[p * 3] = g; overlay[p * 3 + 1] = g; overlay[p * 3 + 2] = g
            }
        }
        return [
            ("raw", try pngData(Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: raw))),
            ("ground truth", try pngData(Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: truth))),
            ("prediction (p > 0.5)", try pngData(Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: prediction))),
            ("foreground probability", try pngData(Image(width: w, height: h, channels: 1, sampleType: .uint8,
                                                         pixels: foreground.map { ($0 * 255).rounded() }))),
            ("overlay on raw", try pngData(Image(width: w, height: h, channels: 3, sampleType: .uint8, pixels: overlay))),
        ]
    }
}

extension Float {
    func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}

/// PNG bytes of an image (through a temporary file: the PNG writer works on paths).
public func pngData(_ image: Image) throws -> Data {
    let path = NSTemporaryDirectory() + "/pixelwise-report-\(UUID().uuidString).png"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try image.write(to: path)
    return try Data(contentsOf: URL(fileURLWithPath: path))
}
