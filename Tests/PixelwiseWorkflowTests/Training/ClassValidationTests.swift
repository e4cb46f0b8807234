import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// Training with more than two classes validates every class (Dice, IoU, their means) instead of
/// the two-class ISBI measures, keeps the best mean Dice, and reports per-class curves and the
/// classes in colour with a legend; `segment --foreground-classes` consolidates C classes to two.
@Suite struct ClassValidationTests {
    static let classes = "background=0 red=50 green=100"

    /// A short three-class run on three colour pairs (written into `scratch`), validated on them
    /// every 10 iterations, into scratch/run.
    static func colourRecipe(_ scratch: ScratchFolder, iterations: Int) throws -> Recipe {
        try ChannelsAndClassesTests.writeColourPairs(scratch, count: 3)
        var recipe = Recipe()
        recipe.images = scratch.file("colour/images"); recipe.labels = scratch.file("colour/labels")
        recipe.validateImages = scratch.file("colour/images"); recipe.validateLabels = scratch.file("colour/labels")
        recipe.classes = classes
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 2; recipe.threads = 2; recipe.schedule = .constant
        recipe.lr = 1e-2; recipe.iterations = iterations; recipe.validateEvery = 10; recipe.out = scratch.file("run")
        return recipe
    }

    /// One short three-class run with validation every 10 iterations (shared by the tests below).
    static func trainedRun(_ scratch: ScratchFolder) throws -> (folder: String, events: [(Int, ClassScores, Bool)]) {
        let recipe = try colourRecipe(scratch, iterations: 30)
        let session = try TrainingSession(recipe: recipe)
        var events: [(Int, ClassScores, Bool)] = []
        session.onEvent = { event in
            if case let .classValidation(iteration, scores, isBest) = event { events.append((iteration, scores, isBest)) }
            if case .validation = event { Issue.record("two-class validation event for a three-class run") }
        }
        try session.run()
        return (scratch.file("run"), events)
    }

    @Test func validationScoresEveryClassAndKeepsTheBestMeanDice() throws {
        let scratch = try ScratchFolder()
        let (folder, events) = try Self.trainedRun(scratch)
        #expect(events.map(\.0) == [10, 20, 30])

        // The log: means, then Dice and IoU per class by name; the values the events carried.
        let lines = try String(contentsOfFile: folder + "/log.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines[0] == "iteration,seconds,loss,learning_rate,val_mean_dice,val_mean_iou,val_dice_background,val_dice_red,val_dice_green,val_iou_background,val_iou_red,val_iou_green")
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 30 && rows.allSatisfy { $0.count == 12 })
        for (iteration, scores, _) in events {
            let row = rows[iteration - 1]
            func value(_ k: Int) throws -> Double { try #require(Double(row[k]), "log row \(row)") }
            #expect(try abs(value(4) - #require(scores.meanDice)) < 1e-6 && abs(value(5) - #require(scores.meanIoU)) < 1e-6)
            for c in 0..<3 {
                #expect(try abs(value(6 + c) - #require(scores.classes[c].dice)) < 1e-6)
                #expect(try abs(value(9 + c) - #require(scores.classes[c].iou)) < 1e-6)
            }
            // Means leave out class 0, as `evaluate --classes`; Dice = 2 IoU / (1 + IoU) per class.
            #expect(abs(scores.meanDice! - (scores.classes[1].dice! + scores.classes[2].dice!) / 2) < 1e-12)
            for c in scores.classes { #expect(abs(c.dice! - 2 * c.iou! / (1 + c.iou!)) < 1e-12) }
        }
        #expect(rows[4][4].isEmpty)  // no validation at iteration 5

        // The last validation recomputed independently: the final weights (last.h5), tiled as
        // validation tiles (the patch side), segment the validation images, and their arg-max
        // classes are counted against the truth by hand.
        let graph = try ModelFile.read(from: folder + "/last.h5").makeGraph(path: folder + "/last.h5")
        let tiling = try TiledSegmenter(graph: graph, tile: 32)
        let conventions = ModelConventions(graph: graph, classes: 3)
        let map = try LabelMap(parsing: Self.classes)
        var tp = [Int](repeating: 0, count: 3), predicted = [Int](repeating: 0, count: 3), truth = [Int](repeating: 0, count: 3)
        for k in 0..<3 {
            let result = argmaxClasses(try tiling.segment(conventions.tensor(for: try Image(contentsOf: scratch.file("colour/images/img-\(k).png")))))
            let labels = try Image(contentsOf: scratch.file("colour/labels/img-\(k).png"))
            for (p, t) in zip(result, try map.apply(to: labels)) {
                predicted[Int(p)] += 1; truth[Int(t)] += 1
                if p == t { tp[Int(t)] += 1 }
            }
        }
        let last = events.last!.1
        for c in 0..<3 {
            let dice = 2 * Double(tp[c]) / Double(predicted[c] + truth[c])
            #expect(abs(last.classes[c].dice! - dice) < 1e-6, "class \(c): validation \(last.classes[c].dice!), recomputed \(dice)")
        }
        #expect(last.meanDice! > 0.5, "mean Dice \(last.meanDice!) after 30 iterations of a colour-defined task")

        // model.h5 holds the best mean Dice: its scores are the best event's.
        let best = events.max { $0.1.meanDice! < $1.1.meanDice! }!
        #expect(events.filter(\.2).last!.0 == best.0)
        let state = try TrainerState(json: try ModelFile.read(from: folder + "/last.h5").trainerState!)
        #expect(state.bestIteration == best.0 && state.bestMeanDice == best.1.meanDice && state.classValidations?.count == 3)
        #expect(state.validations.isEmpty && state.bestRandError == .infinity)
    }

    /// `foreground_classes`: a many-class run validated on the consolidation of some classes
    /// (their summed probability against the rest), scored and chosen as a two-class run is.
    @Test func validationOnAConsolidationScoresItAsTwoClassesAndKeepsTheBestRand() throws {
        let scratch = try ScratchFolder()
        var recipe = try Self.colourRecipe(scratch, iterations: 20)
        recipe.foregroundClasses = "red 100"  // a name and a label value
        let session = try TrainingSession(recipe: recipe)
        var events: [(Int, Scores, Bool)] = []
        session.onEvent = { event in
            if case let .validation(iteration, scores, isBest) = event { events.append((iteration, scores, isBest)) }
            if case .classValidation = event { Issue.record("per-class validation despite foreground_classes") }
        }
        try session.run()
        #expect(events.map(\.0) == [10, 20])
        let folder = scratch.file("run")
        let lines = try String(contentsOfFile: folder + "/log.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines[0] == "iteration,seconds,loss,learning_rate," + TrainingLog.twoClassColumns.joined(separator: ","))

        // The last validation recomputed: p(red) + p(green) from the final weights against
        // "red or green" in the truth, one threshold sweep for the set.
        let graph = try ModelFile.read(from: folder + "/last.h5").makeGraph(path: folder + "/last.h5")
        let tiling = try TiledSegmenter(graph: graph, tile: 32)
        let conventions = ModelConventions(graph: graph, classes: 3)
        let map = try LabelMap(parsing: Self.classes)
        var sweep = SetThresholdSweep()
        for k in 0..<3 {
            let image = try Image(contentsOf: scratch.file("colour/images/img-\(k).png"))
            let p = try tiling.segment(conventions.tensor(for: image))
            let n = image.width * image.height, planar = p.scalars
            let summed = (0..<n).map { planar[n + $0] + planar[2 * n + $0] }
            let truth = try map.apply(to: try Image(contentsOf: scratch.file("colour/labels/img-\(k).png"))).map { $0 == 1 || $0 == 2 }
            sweep.add(probability: summed, groundTruth: truth, width: image.width, height: image.height)
        }
        let recomputed = Scores(name: "validation", set: sweep)
        let last = events.last!.1
        #expect(abs(last.randError - recomputed.randError) < 1e-9 && abs(last.pixelError - recomputed.pixelError) < 1e-9,
                "validation \(last.randError) / \(last.pixelError), recomputed \(recomputed.randError) / \(recomputed.pixelError)")
        #expect(last.pixelError < 0.2, "pixel error \(last.pixelError) of the consolidation after 20 iterations")

        // model.h5 is the best Rand error's; the report is a two-class report naming the consolidation.
        let state = try TrainerState(json: try ModelFile.read(from: folder + "/last.h5").trainerState!)
        let best = events.min { $0.1.randError < $1.1.randError }!
        #expect(state.bestIteration == best.0 && state.bestRandError == best.1.randError && state.classValidations == nil)
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(html.contains("red + green against the other classes") && html.contains("Rand error"))

        // Bad values: one line naming the flag.
        for (text, classes, message) in [("blue", Self.classes, "no class \"blue\""), ("background red green", Self.classes, "names every class"),
                                         ("red", "0 255", "needs more than two classes")] {
            var bad = recipe
            bad.foregroundClasses = text; bad.classes = classes
            #expect { try bad.validate() } throws: { "\($0)".contains(message) }
        }
    }

    /// `--loss ce+malis` (or malis) on three classes: refused without the consolidation Malis keeps
    /// connected; with it, the loss is cross-entropy plus Malis on the named classes' sum.
    @Test func malisOnManyClassesUsesTheConsolidation() throws {
        let scratch = try ScratchFolder()
        var recipe = try Self.colourRecipe(scratch, iterations: 20)
        for loss in [LossChoice(.ceMalis), LossChoice(.malis), LossChoice(.ce, then: .ceMalis)] {
            recipe.loss = loss; recipe.switchAt = loss.then == nil ? nil : 5
            #expect { try recipe.validate() } throws: { "\($0)".contains("needs --foreground-classes") }
        }
        recipe.loss = LossChoice(.ceMalis); recipe.switchAt = nil
        recipe.foregroundClasses = "red green"; recipe.malisWeight = 3
        try recipe.validate()
        var loss = try recipe.makeLoss(frequencies: nil, startIteration: 0, labelMap: recipe.labelMap())
        var rng = SeededGenerator(seed: 11)
        let output = Tensor(shape: [1, 3, 6, 6], scalars: (0..<108).map { _ in Float.random(in: -2...2, using: &rng) })
        let labels: [Int32] = (0..<36).map { (p: Int) -> Int32 in
            let membrane = p % 6 == 2 || p / 6 == 3
            return membrane ? 0 : Int32(1 + p % 2)
        }
        let made = try loss.evaluate(output, Target(labels: labels))
        let ce = SoftmaxCrossEntropy(), malis = MalisLoss(foregroundClasses: [1, 2])
        let reference = try (ce.evaluate(output, Target(labels: labels)), malis.evaluate(output, Target(labels: labels)))
        #expect(reference.1.value > 0)
        #expect(abs(made.value - reference.0.value - 3 * reference.1.value) < 1e-5)
        let sum = zip(reference.0.gradient.scalars, reference.1.gradient.scalars).map { $0 + 3 * $1 }
        #expect(zip(made.gradient.scalars, sum).allSatisfy { abs($0 - $1) < 1e-6 })
        // λ belongs to ce+malis only, and is positive.
        var other = recipe; other.loss = LossChoice(.ce)
        #expect { try other.validate() } throws: { "\($0)".contains("--malis-weight weighs the Malis term") }
        other = recipe; other.malisWeight = 0
        #expect { try other.validate() } throws: { "\($0)".contains("--malis-weight must be positive") }
    }

    @Test func reportShowsPerClassCurvesAndAColourOverlayWithALegend() throws {
        let scratch = try ScratchFolder()
        let (folder, _) = try Self.trainedRun(scratch)
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        for text in ["Validation Dice per class", "Validation IoU per class", "Dice background", "Dice red", "Dice green",
                     "mean Dice (without background)", "prediction over raw", "best validation"] {
            #expect(html.contains(text), "report lacks \(text)")
        }
        // The legend names each class with its label values in its colour.
        let colors = TrainingReport.classColors(3).map(hexColor)
        #expect(colors == ["#e69f00", "#56b4e9", "#009e73"])
        for (name, color) in zip(["background (0)", "red (50)", "green (100)"], colors) {
            #expect(html.contains("<span style=\"color:\(color)\">■ \(name)</span>"), "legend lacks \(name)")
        }
        #expect(!html.contains("Rand error"))
        #expect(Set(TrainingReport.classColors(20).map(hexColor)).count == 20)
    }

    /// The colour panels: truth and prediction pixels in their class's colour, the overlay a blend
    /// with the raw grey (by hand for one pixel of each).
    @Test func classPanelsColourEveryPixelByItsClass() throws {
        let raw = Image(width: 2, height: 1, channels: 1, sampleType: .float32, pixels: [-1, 1])
        let sample = Sample(raw: raw, labels: [1, -1], name: "s")
        let colors = TrainingReport.classColors(3)
        let panels = try TrainingReport.classPanels(sample, [2, 0], colors)
        #expect(panels.map(\.caption) == ["raw", "ground truth", "prediction (arg-max class)", "prediction over raw"])
        let scratch = try ScratchFolder()
        func decoded(_ k: Int) throws -> [Float] {
            try panels[k].png.write(to: URL(fileURLWithPath: scratch.file("p\(k).png")))
            return try Image(contentsOf: scratch.file("p\(k).png")).pixels
        }
        #expect(try decoded(1) == [colors[1].r, colors[1].g, colors[1].b, 0, 0, 0])  // ignored truth pixel: black
        #expect(try decoded(2) == [colors[2].r, colors[2].g, colors[2].b, colors[0].r, colors[0].g, colors[0].b])
        let over = try decoded(3)
        #expect(over[0] == (0.45 * 0 + 0.55 * colors[2].r).rounded() && over[3] == (0.45 * 255 + 0.55 * colors[0].r).rounded())
    }

    /// `--foreground-classes`: the summed probability of the named classes, one map (the
    /// two-class consolidation of a C-class model), equal to the sum of the per-class maps.
    @Test func foregroundClassesSumTheirProbabilities() throws {
        let scratch = try ScratchFolder()
        let (folder, _) = try Self.trainedRun(scratch)
        var perClass = Segmenter.Options()
        perClass.output = .floatProbabilities
        let all = try Image(contentsOf: try Segmenter(model: folder + "/model.h5", options: perClass)
            .segment(inputs: [scratch.file("colour/images/img-0.png")], into: scratch.file("all"))[0])
        let segmenter = try Segmenter(model: folder + "/model.h5")
        var options = perClass
        options.foregroundClasses = try Segmenter.classIndices(of: ["red", "100"], conventions: segmenter.conventions, model: "m")
        #expect(options.foregroundClasses == [1, 2])
        let written = try Segmenter(model: folder + "/model.h5", options: options)
            .segment(inputs: [scratch.file("colour/images/img-0.png")], into: scratch.file("fg"))
        #expect(written == [scratch.file("fg/img-0.tif")])
        let fg = try Image(contentsOf: written[0])
        #expect(fg.channels == 1 && all.channels == 3)
        let a = all.pixels
        let expected: [Float] = (0..<(64 * 64)).map { (p: Int) -> Float in a[3 * p + 1] + a[3 * p + 2] }
        let difference = zip(fg.pixels, expected).map { (x: Float, y: Float) -> Float in abs(x - y) }.max() ?? 1
        #expect(difference < 1e-6)
        options.output = .probabilities
        let eight = try Image(contentsOf: try Segmenter(model: folder + "/model.h5", options: options)
            .segment(inputs: [scratch.file("colour/images/img-0.png")], into: scratch.file("fg8"))[0])
        let eightDifference = zip(eight.pixels, expected).map { (x: Float, y: Float) -> Float in abs(x - (min(y, 1) * 255).rounded()) }.max() ?? 9
        #expect(eight.sampleType == .uint8 && eightDifference <= 1)

        #expect(throws: PixelwiseError.invalidArgument("--foreground-classes: m has no class \"blue\" (its classes: background, red, green)")) {
            try Segmenter.classIndices(of: ["blue"], conventions: segmenter.conventions, model: "m")
        }
        options.foregroundClasses = [3]
        #expect(throws: PixelwiseError.self) { try Segmenter(model: folder + "/model.h5", options: options) }
    }

    /// A label value in no class of the map stops training with the file and the pixel named,
    /// before any run folder exists.
    @Test func aLabelValueOutsideTheClassMapIsAnErrorNamingTheFile() throws {
        let scratch = try ScratchFolder()
        try ChannelsAndClassesTests.writeColourPairs(scratch, count: 2)
        var recipe = Recipe()
        recipe.images = scratch.file("colour/images"); recipe.labels = scratch.file("colour/labels")
        recipe.classes = "background=0 red=50"  // green (100) is in no class
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 1; recipe.out = scratch.file("run")
        let labels = try Image(contentsOf: scratch.file("colour/labels/img-0.png"))
        let first = labels.pixels.firstIndex(of: 100)!
        #expect(throws: PixelwiseError.file(path: scratch.file("colour/labels/img-0.png"),
                                            problem: "label value 100 at pixel (\(first % 64), \(first / 64)) has no class in the label map")) {
            try TrainingSession(recipe: recipe).run()
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("run")))
        // Listed as ignored (no error) or caught by `*`, the same data trains.
        recipe.classes = "background=0 red=50 ignore=100"
        try TrainingSession(recipe: recipe).run()
        recipe.classes = "background=0,* red=50"
        recipe.out = scratch.file("run2")
        #expect(throws: Never.self) { try TrainingSession(recipe: recipe).run() }
    }
}

/// 2-D networks on volumes cut along y or x: training samples are the volume's y (x) slices, the
/// axis is stored in the model file, and `segment` cuts the same way and puts the slices back.
@Suite struct SliceAxisTests {
    @Test func trainingAndSegmentationCutVolumesAlongTheChosenAxis() throws {
        let scratch = try ScratchFolder()
        let (w, h, d) = (24, 20, 16)
        var header = NIfTIHeader(dimensions: [w, h, d], dataType: .uint8, spacing: [1, 1, 2])
        header.sformCode = 1; header.sform = [[1, 0, 0, -12], [0, 1, 0, -10], [0, 0, 2, 5]]
        let scan = (0..<(w * h * d)).map { Float(($0 * 37) % 251) }
        try NIfTIVolume.write(scan, header: header, to: scratch.file("scan.nii.gz"))
        try NIfTIVolume.write(scan.map { $0 > 125 ? 1 : 0 }, header: header, to: scratch.file("seg.nii.gz"))
        var recipe = Recipe()
        recipe.images = scratch.file("scan.nii.gz"); recipe.labels = scratch.file("seg.nii.gz"); recipe.classes = "0 1"
        recipe.sliceAxis = .y
        let samples = try TrainingSession.loadSamples(recipe: recipe, images: recipe.images!, labels: recipe.labels,
                                                      labelMap: try recipe.labelMap(), normalisation: RawNormalisation())
        // h slices of w × d; slice y = 3, pixel (x 5, z 7) is voxel (5, 3, 7).
        #expect(samples.count == h && samples.allSatisfy { $0.width == w && $0.height == d })
        let voxel = scan[(7 * h + 3) * w + 5]
        #expect(samples[3].raw.pixels[7 * w + 5] == voxel / 255 * 2 - 1 && samples[3].labels[7 * w + 5] == (voxel > 125 ? 1 : 0))
        #expect(samples[3].name.hasSuffix("scan.nii.gz[y=3]"))

        recipe.baseFilters = 4; recipe.patch = 16; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 2; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()
        var options = Segmenter.Options()
        options.output = .floatProbabilities
        options.tile = 32
        let segmenter = try Segmenter(model: scratch.file("run/model.h5"), options: options)
        #expect(segmenter.conventions.sliceAxis == .y && segmenter.sliceAxis == .y)
        let written = try segmenter.segment(inputs: [scratch.file("scan.nii.gz")], into: scratch.file("out"))
        let out = try NIfTIVolume(path: written[0])
        let inputHeader = try NIfTIVolume(path: scratch.file("scan.nii.gz")).header
        #expect(out.header.dimensions == [w, h, d] && out.header.affine == inputHeader.affine)
        // The same as segmenting each y slice as an image and putting the slices back.
        let pages = try (0..<d).map { z in Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: Array(scan[(z * w * h)..<((z + 1) * w * h)])) }
        let bySlice = try VolumeSlicing.slices(pages, along: .y).map { try segmenter.segment($0) }
        let expected = VolumeSlicing.pages(fromSlices: bySlice, along: .y)
        let values = try out.readAll()
        #expect(values == expected.flatMap(\.pixels))  // the foreground probability, page by page
        // Along z (overriding the model's axis) the result differs: a different cut.
        options.sliceAxis = .z
        let alongZ = try NIfTIVolume(path: try Segmenter(model: scratch.file("run/model.h5"), options: options)
            .segment(inputs: [scratch.file("scan.nii.gz")], into: scratch.file("z"))[0]).readAll()
        #expect(alongZ != values)
    }
}
