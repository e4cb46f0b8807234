import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// RUN_DIR/report.html for a training run: curves, the validation table, and for up to three
/// validation images (for 3-D networks, the middle slice of up to three validation volumes) the
/// raw image, ground truth, prediction and an overlay. With more than two
/// classes: a Dice curve per class and their mean, and the classes in colour (truth, prediction,
/// prediction over the raw image) with a legend naming them.
public struct TrainingReport {
    public let folder: String
    public let graph: Graph
    public let recipe: Recipe
    public let state: TrainerState
    public let validation: [Sample]
    /// What segments `validation` for the figures; nil for 3-D networks, which give `slices`.
    public let tiling: TiledSegmenter?
    /// Validation figures already segmented — the middle slices of 3-D validation volumes — with
    /// their class probabilities (1, C, H, W).
    public var slices: [(sample: Sample, probabilities: Tensor)] = []
    /// The patch sizes as the summary shows them (default: the tiling's, `input² → output²`).
    public var patches: String?
    /// The run's classes (names in the legend); more than two: the per-class report.
    public let labelMap: LabelMap?

    public init(folder: String, graph: Graph, recipe: Recipe, state: TrainerState, validation: [Sample], tiling: TiledSegmenter?,
                labelMap: LabelMap? = nil) {
        self.labelMap = labelMap
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
        // A many-class run validated on a consolidation (`foreground_classes`) reports as a two-class one.
        let consolidated = try labelMap.flatMap { try recipe.consolidatedForeground(labelMap: $0) }
        if let labelMap, labelMap.classCount > 2, consolidated == nil {
            try writeClasses(&report, labelMap)
            return try report.write(to: folder + "/report.html")
        }
        if let consolidated, let labelMap {
            report.summary.append(("validation foreground", consolidated.map(labelMap.name(ofClass:)).joined(separator: " + ")
                                   + " against the other classes (their summed probability)"))
        }
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
        for (sample, probabilities) in try figureInputs() {
            var sample = sample
            let foreground: [Float]
            if let consolidated {
                foreground = foregroundProbability(probabilities, classes: consolidated)
                sample.labels = sample.labels.map { $0 < 0 ? $0 : consolidated.contains(Int($0)) ? 1 : 0 }
            } else {
                foreground = foregroundProbability(probabilities)
            }
            report.figures.append(HTMLReport.Figure(title: "Validation image " + URL(fileURLWithPath: sample.name).lastPathComponent,
                                                    panels: try panels(sample, foreground), legend: overlayLegend))
        }
        try report.write(to: folder + "/report.html")
    }

    /// The C-class parts: per-class Dice curves, the table, coloured class figures with a legend.
    func writeClasses(_ report: inout HTMLReport, _ labelMap: LabelMap) throws {
        let names = (0..<labelMap.classCount).map(labelMap.name(ofClass:))
        let colors = Self.classColors(labelMap.classCount)
        if let best = state.bestMeanDice, state.bestIteration > 0 {
            report.summary.append(("best validation", String(format: "mean Dice %.4f at iteration %d", best, state.bestIteration)))
        }
        let (window, loss) = smoothedLoss()
        report.charts.append((title: "Training loss", xLabel: "iteration",
                              series: [.init(name: window > 1 ? "loss (running mean of \(window) iterations)" : "loss",
                                             points: loss, color: "#1f77b4")]))
        let v = state.classValidations ?? []
        if !v.isEmpty {
            func points(_ value: (ClassScores) -> Double?) -> [(x: Double, y: Double)] {
                v.compactMap { entry in value(entry.scores).map { (Double(entry.iteration), $0) } }
            }
            report.charts.append((title: "Validation Dice per class", xLabel: "iteration", series:
                names.indices.map { c in HTMLReport.Series(name: "Dice " + names[c], points: points { $0.classes[c].dice }, color: hexColor(colors[c])) }
                + [.init(name: "mean Dice (without \(names[0]))", points: points { $0.meanDice }, color: "#000000")]))
            report.charts.append((title: "Validation IoU per class", xLabel: "iteration", series:
                names.indices.map { c in HTMLReport.Series(name: "IoU " + names[c], points: points { $0.classes[c].iou }, color: hexColor(colors[c])) }
                + [.init(name: "mean IoU (without \(names[0]))", points: points { $0.meanIoU }, color: "#000000")]))
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }
            report.tables.append((title: "Validation: arg-max classes of the whole validation set; means without class 0 (\(names[0])), as evaluate --classes",
                                  header: ["iteration", "mean Dice", "mean IoU", "accuracy"] + names.map { "Dice " + $0 },
                                  rows: v.map { [String($0.iteration), f($0.scores.meanDice), f($0.scores.meanIoU), f($0.scores.accuracy)]
                                      + $0.scores.classes.map { f($0.dice) } }))
        }
        let legend = names.indices.map { (label: "\(names[$0]) (" + labelMap.values(ofClass: $0) + ")", color: hexColor(colors[$0])) }
        for (sample, probabilities) in try figureInputs() {
            let predicted = argmaxClasses(probabilities)
            report.figures.append(HTMLReport.Figure(title: "Validation image " + URL(fileURLWithPath: sample.name).lastPathComponent,
                                                    panels: try Self.classPanels(sample, predicted, colors), legend: legend))
        }
    }

    /// Up to three validation images with their class probabilities: segmented by the tiling
    /// (2-D), or as given (`slices`, 3-D).
    func figureInputs() throws -> [(sample: Sample, probabilities: Tensor)] {
        guard let tiling else { return Array(slices.prefix(3)) }
        return try validation.prefix(3).map { ($0, try tiling.segment(planarTensor($0.raw))) }
    }

    /// A colour for each class: Okabe–Ito's seven colours (distinguishable with colour-blindness),
    /// then evenly spaced hues.
    static func classColors(_ count: Int) -> [(r: Float, g: Float, b: Float)] {
        let okabeIto: [(r: Float, g: Float, b: Float)] = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66),
                                                          (0, 114, 178), (213, 94, 0), (204, 121, 167)]
        return (0..<count).map { k in
            if k < okabeIto.count { return okabeIto[k] }
            let hue = Float(k - okabeIto.count) * 0.618034
            let h = (hue - hue.rounded(.down)) * 6
            let x = 1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)
            let (r, g, b): (Float, Float, Float) = h < 1 ? (1, x, 0) : h < 2 ? (x, 1, 0) : h < 3 ? (0, 1, x) : h < 4 ? (0, x, 1) : h < 5 ? (x, 0, 1) : (1, 0, x)
            return ((r * 200 + 40).rounded(), (g * 200 + 40).rounded(), (b * 200 + 40).rounded())
        }
    }

    /// Raw, ground truth and prediction in class colours, and the prediction over the raw image
    /// (each pixel tinted with its predicted class's colour; ignored truth pixels black).
    static func classPanels(_ sample: Sample, _ predicted: [Int32], _ colors: [(r: Float, g: Float, b: Float)]) throws -> [(caption: String, png: Data)] {
        let (w, h) = (sample.width, sample.height)
        let raw = (0..<(w * h)).map { ((sample.raw.pixels[$0 * sample.raw.channels] + 1) / 2 * 255).rounded().clamped(0, 255) }
        func colored(_ classes: [Int32], over grey: [Float]?) -> [Float] {
            var out = [Float](repeating: 0, count: w * h * 3)
            for p in 0..<(w * h) where classes[p] >= 0 {
                let c = colors[Int(classes[p])]
                let g = grey?[p] ?? 0, a: Float = grey == nil ? 1 : 0.55
                out[p * 3] = ((1 - a) * g + a * c.r).rounded()
                out[p * 3 + 1] = ((1 - a) * g + a * c.g).rounded()
                out[p * 3 + 2] = ((1 - a) * g + a * c.b).rounded()
            }
            return out
        }
        let rgb = sample.raw.channels >= 3
            ? (0..<(w * h * 3)).map { ((sample.raw.pixels[($0 / 3) * sample.raw.channels + $0 % 3] + 1) / 2 * 255).rounded().clamped(0, 255) }
            : nil
        return [
            ("raw", try pngData(rgb.map { Image(width: w, height: h, channels: 3, sampleType: .uint8, pixels: $0) }
                                ?? Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: raw))),
            ("ground truth", try pngData(Image(width: w, height: h, channels: 3, sampleType: .uint8, pixels: colored(sample.labels, over: nil)))),
            ("prediction (arg-max class)", try pngData(Image(width: w, height: h, channels: 3, sampleType: .uint8, pixels: colored(predicted, over: nil)))),
            ("prediction over raw", try pngData(Image(width: w, height: h, channels: 3, sampleType: .uint8, pixels: colored(predicted, over: raw)))),
        ]
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

extension LabelMap {
    /// The stored values of class k, as the legend shows them ("0, 32, 64", "* (every other value)").
    func values(ofClass k: Int) -> String {
        let listed = classes.filter { $0.value == Int32(k) }.keys.sorted().map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
        let rest = otherwise == Int32(k) ? ["* (every other value)"] : []
        return (listed + rest).joined(separator: ", ")
    }
}

/// "#rrggbb" of an 8-bit colour.
func hexColor(_ c: (r: Float, g: Float, b: Float)) -> String { String(format: "#%02x%02x%02x", Int(c.r), Int(c.g), Int(c.b)) }

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
