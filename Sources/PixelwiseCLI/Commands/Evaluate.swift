import ArgumentParser
import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO
import PixelwiseWorkflow

/// `pixelwise evaluate`: compare predictions with ground truth (`Evaluation` scores them).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predictions against labels: pixel accuracy, IoU, Dice, the ISBI 2012 measures, or CREMI's instance measures.",
        discussion: """
        Predictions and labels are paired by sorted file name; a multi-page TIFF or an HDF5 volume \
        (FILE.h5:/DATASET) counts as its slices. A prediction is a label image (two values, e.g. \
        0/255) or a probability map (8-bit 0–255, 16-bit or float). Probability maps are scored \
        as the ISBI 2012 Fiji scorer scores a stack: one threshold sweep for the whole set \
        (0.0, 0.1, …, 1.0, or --thresholds), each error at the threshold that is best for the \
        set, reported with the threshold; pixel counts and Rand pair counts are added over the \
        images, V_info and the thinned scores are averaged over them (docs/evaluation.md). The \
        per-image rows are the images at the set's thresholds. --per-image-thresholds instead \
        picks each image's own best threshold with its own ground truth and averages \
        (optimistic; the convention before issue 22). Two pixel errors: "pixel err." is the \
        fraction of wrong pixels (1 − accuracy); "ISBI pixel err." is 1 − the F-score of the \
        foreground pixels, what the ISBI 2012 scorer prints as "pixel error" (Tschopp 2016 \
        reports it). Rand and V_info errors are foreground-restricted; the thinned ones are \
        computed after thinning the predicted background to one-pixel lines, as the current \
        ISBI 2012 ranking does. With --instances, predictions and labels are object ids (a \
        probability or binary prediction becomes the connected components of its foreground \
        at --instance-threshold) and CREMI's VOI split, VOI merge and adapted Rand error are \
        printed per volume.
        """)

    @Option(help: "Folder (or single file, stack or FILE.h5:/DATASET) of predictions.")
    var predictions: String
    @Option(help: "Folder (or single file, stack or FILE.h5:/DATASET) of ground-truth label images.")
    var labels: String
    @Option(parsing: .upToNextOption, help: "Label values that are foreground (default 255).")
    var foreground: [Float] = [255]
    @Option(parsing: .upToNextOption, help: "Thresholds (0…1) for probability maps (default: the ISBI 2012 scorer's 0.0 0.1 … 1.0).")
    var thresholds: [Float] = []
    @Flag(help: "Choose each image's best threshold with its own ground truth and average (optimistic; not the scorer's convention).")
    var perImageThresholds = false
    @Flag(help: "Skip the warping error (the slowest measure).")
    var noWarping = false
    @Flag(name: .customLong("3d"), help: "Also score each stack or volume as one volume: Rand, V_info and warping on 6-connected components across sections (one threshold for the set of volumes).")
    var threeD = false
    @Flag(help: "Instance evaluation (CREMI): VOI split/merge and adapted Rand error on object ids.")
    var instances = false
    @Option(help: "With --instances: ignore ground-truth voxels within this many pixels of an id boundary in their section (CREMI: 25 nm = 6.25 px at 4 nm).")
    var borderMask: Double?
    @Option(parsing: .upToNextOption, help: "With --instances: ground-truth ids to ignore besides CREMI's background 2^64−1 (e.g. 0 for a label image made from a binary mask).")
    var ignoreIds: [UInt64] = []
    @Option(help: "With --instances: threshold that turns a probability prediction into foreground before its connected components are taken.")
    var instanceThreshold: Float = 0.5
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Option(help: "Score C classes instead: label values to classes as for train --classes (e.g. \"background=0 tumour=1,2,4\"); prints per-class IoU, Dice and HD95 (95th-percentile Hausdorff distance, in the volume's units for NIfTI), their means without class 0, and the confusion matrix.")
    var classes: String?

    func validate() throws {
        if threeD, perImageThresholds || instances || classes != nil {
            throw ValidationError("--3d scores the binary measures with one threshold for the set; it does not combine with --per-image-thresholds, --instances or --classes (which already work on volumes)")
        }
        if let bad = thresholds.first(where: { !(0...1).contains($0) }) {
            throw ValidationError("--thresholds must lie between 0 and 1, got \(bad)")
        }
        if let b = borderMask, !(b >= 0) { throw ValidationError("--border-mask must be ≥ 0, got \(b)") }
    }

    func run() throws {
        if let classes {
            let map: LabelMap
            do { map = try LabelMap(parsing: classes) } catch let PixelwiseError.invalidArgument(message) { throw ValidationError("--classes: \(message)") }
            return try runClasses(map)
        }
        if instances {
            let rows = try Evaluation.scoreInstances(predictions: predictions, labels: labels, ignoredTruthIds: Set(ignoreIds),
                                                     borderDistance: borderMask, threshold: instanceThreshold)
            if json {
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print(textTable(["volume", "VOI split", "VOI merge", "VOI", "adapted Rand err.", "voxels scored"], rows.map { r in
                    [r.name, String(format: "%.4f", r.voiSplit), String(format: "%.4f", r.voiMerge), String(format: "%.4f", r.voiSplit + r.voiMerge),
                     String(format: "%.4f", r.adaptedRandError), String(r.voxels)]
                }))
                print("CREMI's measures (VOI in bits)" + (borderMask.map { String(format: ", truth within %.2f px of an id boundary ignored", $0) } ?? ""))
            }
            return
        }
        let report = try Evaluation.score(predictions: predictions, labels: labels, foreground: foreground,
                                          thresholds: thresholds.isEmpty ? ThresholdSweep.defaultThresholds : thresholds,
                                          warping: !noWarping, perImageThresholds: perImageThresholds, volumes: threeD)
        if json {
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        if threeD { print("slice by slice (Rand, V_info, warping on 4-connected components of each section):") }
        print(textTable(Scores.header, report.images.map(\.row) + [report.all.row]))
        if let t = report.all.thresholds, report.all.convention == "set" {
            print("one threshold for the whole set (ISBI 2012 scorer's convention): " + thresholdSummary(t))
        } else if report.all.convention == "per-image" {
            print("each image at its own best threshold (--per-image-thresholds: optimistic, not the scorer's convention)")
        }
        if let volumes = report.volumes, let all = report.allVolumes {
            print("\nin 3-D (Rand, V_info on 6-connected components across sections; warping with 3-D simple points; no thinned scores):")
            print(textTable(["volume"] + Scores.header.dropFirst(), volumes.map(\.row) + [all.row]))
            if let t = all.thresholds { print("one threshold for the set of volumes: " + thresholdSummary(t)) }
        }
    }

    func runClasses(_ map: LabelMap) throws {
        let (pairs, total) = try ClassEvaluation.score(predictions: predictions, labels: labels, classes: map)
        if json {
            struct Report: Codable { var images: [ClassScores]; var total: ClassScores }
            print(String(decoding: try encoder.encode(Report(images: pairs, total: total)), as: UTF8.self))
            return
        }
        func number(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
        var rows = [[String]]()
        for scores in pairs + [total] {
            for c in scores.classes { rows.append([scores.name, c.name, number(c.iou), number(c.dice), number(c.hd95)]) }
            rows.append([scores.name, "mean (no class 0)", number(scores.meanIoU), number(scores.meanDice), ""])
        }
        print(textTable(["image", "class", "IoU", "Dice", "HD95"], rows))
        print("confusion matrix of all pairs (rows true, columns predicted: \((0..<map.classCount).map(map.name(ofClass:)).joined(separator: ", ")))")
        for row in total.confusion { print(row.map { String($0) }.joined(separator: "\t")) }
        print(String(format: "pixel accuracy %.4f", total.accuracy))
    }

    private var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
