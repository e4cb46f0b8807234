import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseNN
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// End to end through the library: colour kept by default, classes from `--classes` written back
/// with their own label values, a NIfTI volume segmented into a NIfTI volume with the input's affine.
@Suite struct ChannelsAndClassesTests {
    /// RGB images whose three classes differ only in hue: red blobs (label 50), green blobs (label
    /// 100), grey background (label 0) — all of the same brightness, so a grey input cannot tell
    /// them apart and only the colour can.
    static func writeColourPairs(_ scratch: ScratchFolder, count: Int, width: Int = 64, height: Int = 64) throws {
        for sub in ["images", "labels"] { try FileManager.default.createDirectory(atPath: scratch.file("colour/" + sub), withIntermediateDirectories: true) }
        var state: UInt64 = 5
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * 30
        }
        for k in 0..<count {
            var raw = Image(width: width, height: height, channels: 3, sampleType: .uint8)
            var labels = Image(width: width, height: height, channels: 1, sampleType: .uint8)
            for y in 0..<height {
                for x in 0..<width {
                    let cx = (x + 7 * k) % 24, cy = (y + 11 * k) % 24
                    let label: Float = (cx - 6) * (cx - 6) + (cy - 6) * (cy - 6) < 25 ? 50 : (cx - 17) * (cx - 17) + (cy - 17) * (cy - 17) < 25 ? 100 : 0
                    let rgb: [Float] = label == 50 ? [190, 45, 45] : label == 100 ? [45, 190, 45] : [93, 93, 94]
                    labels[x, y] = label
                    for c in 0..<3 { raw[x, y, c] = min(255, max(0, (rgb[c] + noise()).rounded())) }
                }
            }
            try raw.write(to: scratch.file("colour/images/img-\(k).png"))
            try labels.write(to: scratch.file("colour/labels/img-\(k).png"))
        }
    }

    @Test func aClassDefinedByColourIsLearntAndWrittenWithItsLabelValues() throws {
        let scratch = try ScratchFolder()
        try Self.writeColourPairs(scratch, count: 3)
        var recipe = Recipe()
        recipe.images = scratch.file("colour/images"); recipe.labels = scratch.file("colour/labels")
        recipe.classes = "background=0 red=50 green=100"
        recipe.baseFilters = 4; recipe.patch = 64; recipe.batch = 2; recipe.threads = 2; recipe.schedule = .constant
        recipe.lr = 1e-2; recipe.iterations = 200; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()

        let segmenter = try Segmenter(model: scratch.file("run/model.h5"))
        #expect(segmenter.graph.inputChannels == 3)
        #expect(segmenter.conventions.normalisation.channels == .rgb)
        #expect(segmenter.conventions.labelMap?.names == ["background", "red", "green"])
        try Self.writeColourPairs(scratch, count: 4)  // img-3 is unseen
        let written = try segmenter.segment(inputs: [scratch.file("colour/images/img-3.png")], into: scratch.file("out"))
        let result = try Image(contentsOf: written[0]), truth = try Image(contentsOf: scratch.file("colour/labels/img-3.png"))
        #expect(Set(result.pixels).isSubset(of: [0, 50, 100]))
        let correct = zip(result.pixels, truth.pixels).filter { $0 == $1 }.count
        let accuracy = Double(correct) / Double(truth.pixels.count)
        #expect(accuracy > 0.99, "accuracy \(accuracy)")

        // A grey image given to the colour model is replicated to RGB (`.rgb`), not refused.
        try Image(width: 64, height: 64, channels: 1, sampleType: .uint8, pixels: [Float](repeating: 93, count: 64 * 64)).write(to: scratch.file("grey.png"))
        let grey = try Image(contentsOf: try segmenter.segment(inputs: [scratch.file("grey.png")], into: scratch.file("out2"))[0])
        #expect(grey.pixels.filter { $0 == 0 }.count > 64 * 64 * 99 / 100)  // grey 93 is the background colour
    }

    /// A volume whose class is defined by its intensity (z-scored per slice), trained on the
    /// NIfTI slices and segmented into a NIfTI volume that keeps the scan's grid and affine.
    @Test func aNIfTIVolumeIsSegmentedIntoAVolumeWithTheScansAffine() throws {
        let scratch = try ScratchFolder()
        let (w, h, d) = (48, 40, 4)
        var header = NIfTIHeader(dimensions: [w, h, d], dataType: .int16, spacing: [0.9, 0.9, 3])
        header.qformCode = 1; header.quaternion = [0, 0, 1]; header.quaternionOffset = [120, 100, -30]
        header.sformCode = 1; header.sform = [[-0.9, 0, 0, 120], [0, -0.9, 0, 100], [0, 0, 3, -30]]
        var scan = [Float](), seg = [Float]()
        for z in 0..<d {
            for y in 0..<h {
                for x in 0..<w {
                    let inside = (x - 20 - 2 * z) * (x - 20 - 2 * z) + (y - 18) * (y - 18) < 100
                    seg.append(inside ? 4 : 0)
                    scan.append(inside ? 900 + Float((x * 7 + y * 3) % 50) : 300 + Float((x * 5 + y * 11) % 50))
                }
            }
        }
        try NIfTIVolume.write(scan, header: header, to: scratch.file("scan.nii.gz"))
        try NIfTIVolume.write(seg, header: header.derived(dataType: .uint8), to: scratch.file("seg.nii.gz"))
        var recipe = Recipe()
        recipe.images = scratch.file("scan.nii.gz"); recipe.labels = scratch.file("seg.nii.gz")
        recipe.classes = "background=0 tumour=1,2,4"; recipe.normalise = "zscore"; recipe.loss = LossChoice(.dice)
        recipe.baseFilters = 4; recipe.patch = 48; recipe.batch = 2; recipe.threads = 2; recipe.schedule = .constant
        recipe.lr = 1e-2; recipe.iterations = 100; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()

        let segmenter = try Segmenter(model: scratch.file("run/model.h5"))
        #expect(segmenter.conventions.normalisation.intensity == [.zScore(nonZeroOnly: false)])
        let written = try segmenter.segment(inputs: [scratch.file("scan.nii.gz")], into: scratch.file("out"))
        #expect(written == [scratch.file("out/scan.nii.gz")])
        let out = try NIfTIVolume(path: written[0])
        #expect(out.header.dimensions == [w, h, d] && out.header.dataType == .uint8)
        let input = try NIfTIVolume(path: scratch.file("scan.nii.gz")).header  // 0.9 as stored in float32
        #expect(out.header.affine == input.affine && out.header.qformAffine == input.qformAffine && out.header.spacing == input.spacing)
        #expect(out.header.sformCode == 1 && out.header.qformCode == 1)
        let labels = try out.readAll()
        #expect(Set(labels).isSubset(of: [0, 1]))  // class 1 is written as its first value, 1
        let agreement = zip(labels, seg).filter { ($0 > 0) == ($1 > 0) }.count
        #expect(Double(agreement) / Double(seg.count) > 0.99, "agreement \(Double(agreement) / Double(seg.count))")
    }

    /// The layouts reach training: BraTS case folders give four z-scored channels and the four
    /// BraTS classes; Oxford-IIIT Pet photos of two sizes, resized, give RGB and pet/background.
    @Test func layoutsTrainWithTheirChannelsAndClasses() throws {
        let scratch = try ScratchFolder()
        let (w, h, d) = (40, 36, 2)
        for c in ["case_1", "case_2"] {
            try FileManager.default.createDirectory(atPath: scratch.file("brats/\(c)"), withIntermediateDirectories: true)
            let header = NIfTIHeader(dimensions: [w, h, d], dataType: .int16)
            for (m, modality) in MultiSourceDataset.bratsModalities.enumerated() {
                try NIfTIVolume.write((0..<w * h * d).map { Float(($0 * (m + 3)) % 97) }, header: header, to: scratch.file("brats/\(c)/\(c)_\(modality).nii.gz"))
            }
            try NIfTIVolume.write((0..<w * h * d).map { Float([0, 1, 2, 4][($0 / 7) % 4]) }, header: header.derived(dataType: .uint8), to: scratch.file("brats/\(c)/\(c)_seg.nii.gz"))
        }
        var recipe = Recipe()
        recipe.images = scratch.file("brats"); recipe.layout = "brats"; recipe.resize = 32
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 2; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()
        let brats = try Segmenter(model: scratch.file("run/model.h5"))
        #expect(brats.graph.inputChannels == 4 && brats.conventions.classValues == [0, 1, 2, 4])
        #expect(brats.conventions.normalisation.intensity == [.zScore(nonZeroOnly: true)])
        let sources = MultiSourceDataset.bratsModalities.map { scratch.file("brats/case_1/case_1_\($0).nii.gz") }
        let written = try brats.segment(sources: [sources], names: ["case_1"], into: scratch.file("out"))
        #expect(written == [scratch.file("out/case_1.nii.gz")])
        let volume = try NIfTIVolume(path: written[0])
        let values = Set(try volume.readAll())
        #expect(volume.header.dimensions == [w, h, d] && values.isSubset(of: [0, 1, 2, 4]))
        #expect(throws: PixelwiseError.self) { try brats.segment(sources: [Array(sources.prefix(3))], names: ["short"], into: scratch.file("out3")) }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("out3")))
        // Case folders (`segment --layout brats`) find the same files and write the same volume.
        let byCase = try brats.segment(cases: [scratch.file("brats/case_1")], into: scratch.file("cases"))
        #expect(byCase == [scratch.file("cases/case_1.nii.gz")])
        #expect(try NIfTIVolume(path: byCase[0]).readAll() == volume.readAll())
        #expect(throws: PixelwiseError.file(path: scratch.file("brats/case_1"), problem: "no case_1_t3.nii.gz in the case folder")) {
            try brats.segment(cases: [scratch.file("brats/case_1")], modalities: ["t3"], into: scratch.file("none"))
        }

        for sub in ["pets/images", "pets/annotations/trimaps"] { try FileManager.default.createDirectory(atPath: scratch.file(sub), withIntermediateDirectories: true) }
        for (name, size) in [("cat_1", (50, 40)), ("dog_2", (36, 44))] {
            try Image.init(width: size.0, height: size.1, channels: 3, sampleType: .uint8,
                           pixels: (0..<size.0 * size.1 * 3).map { Float(($0 * 13) % 256) }).write(to: scratch.file("pets/images/\(name).jpg"))
            try Image(width: size.0, height: size.1, channels: 1, sampleType: .uint8,
                      pixels: (0..<size.0 * size.1).map { Float(1 + ($0 / 5) % 3) }).write(to: scratch.file("pets/annotations/trimaps/\(name).png"))
        }
        var pets = Recipe()
        pets.images = scratch.file("pets"); pets.layout = "oxford-pet"; pets.resize = 32; pets.loss = LossChoice(.focal)
        pets.baseFilters = 4; pets.patch = 32; pets.batch = 1; pets.threads = 2; pets.iterations = 2; pets.out = scratch.file("pets-run")
        try TrainingSession(recipe: pets).run()
        let pet = try Segmenter(model: scratch.file("pets-run/model.h5"))
        #expect(pet.graph.inputChannels == 3 && pet.conventions.classValues == [2, 1] && pet.conventions.labelMap?.names == ["background", "pet"])
    }

    /// The ssTEM and ISBI 2012 layouts: the data set's root is enough. ssTEM trains its five
    /// classes (the membrane orientations merged, names kept in the model); ISBI reads the
    /// challenge's two stacks; a root without the layout's files is a one-line error.
    @Test func ssTEMAndISBILayoutsReadTheirRoots() throws {
        let scratch = try ScratchFolder()
        for sub in ["sstem/raw", "sstem/labels", "isbi"] { try FileManager.default.createDirectory(atPath: scratch.file(sub), withIntermediateDirectories: true) }
        let (w, h) = (40, 36)
        let values: [Float] = [0, 32, 64, 96, 128, 159, 191, 223, 255]
        for k in 0..<2 {
            try Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map { Float(($0 * (7 + k)) % 256) })
                .write(to: scratch.file("sstem/raw/0\(k).tif"))
            try Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map { values[($0 / 11 + k) % values.count] })
                .write(to: scratch.file("sstem/labels/0\(k).png"))
        }
        var recipe = Recipe()
        recipe.images = scratch.file("sstem"); recipe.layout = "sstem"
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 1; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()
        let sstem = try Segmenter(model: scratch.file("run/model.h5"))
        #expect(sstem.conventions.labelMap?.names == ["membrane", "glia", "mitochondria", "synapse", "cell"])
        #expect(sstem.conventions.classValues == [0, 159, 191, 223, 255])

        let pages = (0..<3).map { k in Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map { Float(($0 + k) % 256) }) }
        try ImageStack.write(pages, to: scratch.file("isbi/train-volume.tif"))
        try ImageStack.write(pages.map { Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: $0.pixels.map { $0 < 128 ? 0 : 255 }) },
                             to: scratch.file("isbi/train-labels.tif"))
        var isbi = Recipe()
        isbi.layout = "isbi"
        let samples = try TrainingSession.loadSamples(recipe: isbi, images: scratch.file("isbi"), labels: nil, labelMap: try isbi.labelMap(),
                                                      normalisation: RawNormalisation())
        #expect(samples.count == 3 && samples[1].labels == pages[1].pixels.map { $0 < 128 ? 0 : 1 })
        #expect(throws: PixelwiseError.file(path: scratch.file("sstem"), problem: "holds no train-volume.tif and train-labels.tif, or images and labels (the isbi layout)")) {
            try TrainingSession.loadSamples(recipe: isbi, images: scratch.file("sstem"), labels: nil, labelMap: try isbi.labelMap(), normalisation: RawNormalisation())
        }
    }

    /// Labels with more values than 0 and 255 and no mapping: training says what it found; with
    /// `--instance-boundaries` instance ids train boundary against interior.
    @Test func unmappedValuesAreReportedAndInstanceIdsBecomeBoundaries() throws {
        let scratch = try ScratchFolder()
        for sub in ["d/images", "d/labels"] { try FileManager.default.createDirectory(atPath: scratch.file(sub), withIntermediateDirectories: true) }
        let (w, h) = (40, 40)
        try Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map { Float(($0 * 7) % 256) }).write(to: scratch.file("d/images/a.png"))
        // Three instances (ids 3, 9, 12) in vertical bands.
        try Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map { [3, 9, 12][min(($0 % w) / 14, 2)] }).write(to: scratch.file("d/labels/a.png"))
        var recipe = Recipe()
        recipe.images = scratch.file("d/images"); recipe.labels = scratch.file("d/labels")
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 1; recipe.out = scratch.file("run")
        let session = try TrainingSession(recipe: recipe)
        var warnings = [String]()
        session.onEvent = { if case .warning(let text) = $0 { warnings.append(text) } }
        try session.run()
        #expect(warnings.contains { $0.hasPrefix("labels: found 3 label values: 3 (35.0%), 9 (35.0%), 12 (30.0%); training 255 against everything else — give --classes") }, "\(warnings)")

        recipe.instanceBoundaries = true
        recipe.out = scratch.file("run-ids")
        try TrainingSession(recipe: recipe).run()
        let segmenter = try Segmenter(model: scratch.file("run-ids/model.h5"))
        #expect(segmenter.conventions.classValues == [0, 255] && segmenter.conventions.labelMap?.instances == InstanceTargets())
        recipe.classes = "a=3"
        #expect(throws: PixelwiseError.self) { try TrainingSession(recipe: recipe) }
    }

    /// With three classes, probabilities are one channel per class: a 3-channel TIFF for an image,
    /// a 4-D (x, y, z, class) NIfTI volume for a volume; each pixel's probabilities sum to 1.
    @Test func probabilitiesOfThreeClassesAreOneMapPerClass() throws {
        let scratch = try ScratchFolder()
        try Self.writeColourPairs(scratch, count: 1)
        var recipe = Recipe()
        recipe.images = scratch.file("colour/images"); recipe.labels = scratch.file("colour/labels")
        recipe.classes = "background=0 red=50 green=100"
        recipe.baseFilters = 4; recipe.patch = 32; recipe.batch = 1; recipe.threads = 2; recipe.iterations = 1; recipe.out = scratch.file("run")
        try TrainingSession(recipe: recipe).run()
        var options = Segmenter.Options()
        options.output = .floatProbabilities
        let segmenter = try Segmenter(model: scratch.file("run/model.h5"), options: options)
        var header = NIfTIHeader(dimensions: [20, 16, 2], dataType: .uint8, spacing: [0.5, 0.5, 2])
        header.sformCode = 1; header.sform = [[-0.5, 0, 0, 40], [0, 0.5, 0, -8], [0, 0, 2, 3]]
        header.qformCode = 1; header.quaternion = [0, 0, 1]; header.quaternionOffset = [40, -8, 3]
        try NIfTIVolume.write((0..<640).map { Float($0 % 200) }, header: header, to: scratch.file("v.nii"))
        let written = try segmenter.segment(inputs: [scratch.file("colour/images/img-0.png"), scratch.file("v.nii")], into: scratch.file("out"))
        #expect(written == [scratch.file("out/img-0.tif"), scratch.file("out/v.nii.gz")])
        let image = try Image(contentsOf: written[0])
        #expect(image.channels == 3 && image.sampleType == .float32)
        let px = image.pixels
        let imageSums: [Float] = (0..<64 * 64).map { (p: Int) -> Float in px[3 * p] + px[3 * p + 1] + px[3 * p + 2] }
        #expect(imageSums.allSatisfy { abs($0 - 1) < 1e-4 })
        let volume = try NIfTIVolume(path: written[1])
        #expect(volume.header.dimensions == [20, 16, 2, 3] && volume.header.dataType == .float32 && volume.header.spacing.prefix(3) == [0.5, 0.5, 2])
        // The input's affine (sform and qform) is kept on the 4-D volume of class probabilities.
        let input = try NIfTIVolume(path: scratch.file("v.nii")).header
        #expect(volume.header.affine == input.affine && volume.header.qformAffine == input.qformAffine)
        #expect(volume.header.sformCode == 1 && volume.header.qformCode == 1)
        let v = try volume.readAll()
        let volumeSums: [Float] = (0..<640).map { (p: Int) -> Float in v[p] + v[640 + p] + v[1280 + p] }
        #expect(volumeSums.allSatisfy { abs($0 - 1) < 1e-4 })
    }
}
