import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Channels: colour kept, several sources as one input, per-channel normalisation (checked by
/// hand), stored as a Codable value, and a channel-count mismatch as one line.
@Suite struct ChannelTests {
    static func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    static func normalised(_ values: [Float], _ n: IntensityNormalisation, typeMaximum: Float = 1) -> [Float] {
        var v = values
        n.apply(&v, start: 0, stride: 1, count: v.count, typeMaximum: typeMaximum)
        return v
    }

    @Test func zScoreByHand() {
        // mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
        let s = 1.25.squareRoot()
        #expect(Self.close(Self.normalised([1, 2, 3, 4], .zScore(nonZeroOnly: false)), [-1.5, -0.5, 0.5, 1.5].map { Float($0 / s) }))
        // Over non-zero pixels 2 and 4 only: mean 3, std 1; zeros stay 0.
        #expect(Self.normalised([0, 2, 4, 0], .zScore(nonZeroOnly: true)) == [0, -1, 1, 0])
        // A constant image divides by 10⁻⁸, not by 0.
        #expect(Self.normalised([5, 5], .zScore(nonZeroOnly: false)) == [0, 0])
    }

    @Test func percentileByHand() {
        // numpy.percentile([1, 2, 3, 4], 50) = 2.5, 25 → 1.75, 100 → 4.
        #expect(IntensityNormalisation.percentile([1, 2, 3, 4], 50) == 2.5)
        #expect(IntensityNormalisation.percentile([1, 2, 3, 4], 25) == 1.75)
        #expect(IntensityNormalisation.percentile([1, 2, 3, 4], 100) == 4)
        // 0…100: the 10th and 90th percentiles are 10 and 90; 5 clips to −1, 50 → 0, 95 clips to 1.
        let values = (0...100).map(Float.init)
        let out = Self.normalised(values, .percentile(low: 10, high: 90))
        #expect(out[5] == -1 && out[50] == 0 && out[95] == 1 && abs(out[30] - -0.5) < 1e-6)
    }

    @Test func fixedAndTypeRangeByHand() {
        #expect(Self.close(Self.normalised([-2000, -1000, 0, 500, 3000], .fixedRange(low: -1000, high: 1000)), [-1, -1, 0, 0.5, 1]))
        #expect(Self.close(Self.normalised([0, 51, 255], .typeRange(symmetric: false), typeMaximum: 255), [0, 0.2, 1]))
        #expect(Self.close(Self.normalised([0, 51, 255], .typeRange(symmetric: true), typeMaximum: 255), [-1, -0.6, 1]))
    }

    @Test func badParametersAreOneLine() {
        #expect(throws: PixelwiseError.self) { try IntensityNormalisation.percentile(low: 90, high: 10).validate() }
        #expect(throws: PixelwiseError.self) { try IntensityNormalisation.fixedRange(low: 1, high: 1).validate() }
        #expect(throws: PixelwiseError.invalidArgument("2 per-channel normalisations for 3 input channels (give one for all, or one per channel)")) {
            try RawNormalisation(intensity: [.zScore(nonZeroOnly: false), .typeRange(symmetric: true)]).validate(channels: 3)
        }
    }

    @Test func perChannelNormalisationPicksEachChannelsEntry() {
        let rgb = Image(width: 2, height: 1, channels: 3, sampleType: .uint8, pixels: [0, 10, 100, 255, 30, 300])
        let n = RawNormalisation(channels: .rgb, intensity: [.typeRange(symmetric: false), .zScore(nonZeroOnly: false), .fixedRange(low: 100, high: 300)])
        let out = n.apply(to: rgb)
        #expect(out.channels == 3 && out.sampleType == .float32)
        #expect(Self.close(out.pixels, [0, -1, -1, 1, 1, 1]))
    }

    @Test func codableRoundTripAndDefaultsForOlderValues() throws {
        let n = RawNormalisation(symmetric: false, channels: .all,
                                 intensity: [.zScore(nonZeroOnly: true), .percentile(low: 0.5, high: 99.5), .fixedRange(low: -100, high: 400), .typeRange(symmetric: true)])
        let data = try JSONEncoder().encode(n)
        #expect(try JSONDecoder().decode(RawNormalisation.self, from: data) == n)
        #expect(try JSONDecoder().decode(RawNormalisation.self, from: Data("{}".utf8)) == RawNormalisation())
        let older = try JSONDecoder().decode(RawNormalisation.self, from: Data(#"{"symmetric":false,"channels":"rgb"}"#.utf8))
        #expect(older == RawNormalisation(symmetric: false, channels: .rgb))
    }

    @Test func colourFilesKeepTheirColour() throws {
        let folder = try ScratchFolder()
        let rgb = Image.pattern(width: 8, height: 6, channels: 3, type: .uint8)
        try rgb.write(to: folder.file("c.png"))
        try rgb.write(to: folder.file("c.jpg"))
        try Image.pattern(width: 8, height: 6, channels: 4, type: .uint16).write(to: folder.file("c4.png"))
        try rgb.write(to: folder.file("c.tif"))
        let stored = try ["c.png", "c.jpg", "c4.png", "c.tif"].map { try Image(contentsOf: folder.file($0)).channels }
        #expect(stored == [3, 3, 4, 3])
        #expect(RawNormalisation.Channels.keepingColour(storedChannels: stored) == .rgb)
        #expect(RawNormalisation.Channels.keepingColour(storedChannels: [1, 2, 1]) == .grey)
        #expect(RawNormalisation(channels: .rgb).apply(to: try Image(contentsOf: folder.file("c.png"))) == RawNormalisation(channels: .asStored).apply(to: rgb))
    }

    @Test func multiSampleTIFFKeepsEveryChannelWithAll() throws {
        let folder = try ScratchFolder()
        let five = Image.pattern(width: 5, height: 4, channels: 5, type: .uint16)
        try five.write(to: folder.file("five.tif"))
        let read = try Image(contentsOf: folder.file("five.tif"))
        let out = RawNormalisation(symmetric: false, channels: .all).apply(to: read)
        #expect(out.channels == 5 && Self.close(out.pixels, five.pixels.map { $0 / 65535 }))
        #expect(RawNormalisation(channels: .asStored).apply(to: read).channels == 3)
    }

    @Test func sourcesBecomeOneInputEachWithItsOwnType() throws {
        let grey = Image(width: 2, height: 1, channels: 1, sampleType: .uint8, pixels: [0, 255])
        let wide = Image(width: 2, height: 1, channels: 1, sampleType: .uint16, pixels: [65535, 0])
        let float = Image(width: 2, height: 1, channels: 1, sampleType: .float32, pixels: [3, 5])
        let n = RawNormalisation(symmetric: false, intensity: [])
        let out = try n.apply(toSources: [grey, wide, float], names: ["a.png", "b.tif", "c.nii"])
        #expect(out.channels == 3 && out.pixels == [0, 1, 3, 1, 0, 5])
        let z = try RawNormalisation(intensity: [.zScore(nonZeroOnly: false)]).apply(toSources: [grey, float], names: ["a", "c"])
        #expect(z.pixels == [-1, -1, 1, 1])
        let small = Image(width: 1, height: 1, channels: 1, sampleType: .uint8, pixels: [0])
        #expect(throws: PixelwiseError.file(path: "b.png", problem: "is 1×1 but a.png is 2×1: channel sources must be co-registered (same size)")) {
            try n.apply(toSources: [grey, small], names: ["a.png", "b.png"])
        }
    }

    @Test func channelMismatchIsOneLine() {
        #expect(throws: PixelwiseError.file(path: "scan.png", problem: "gives 1 channel (grey) but the model takes 3 channels (RGB); give the sources and channel choice the model was trained with")) {
            try RawNormalisation.checkChannels(1, modelChannels: 3, name: "scan.png")
        }
        #expect(throws: Never.self) { try RawNormalisation.checkChannels(4, modelChannels: 4, name: "x") }
    }

    /// Four modality volumes per case and a label volume: each slice a 4-channel sample; and the
    /// same modalities in one 4-D file give the same samples.
    @Test func modalityVolumesBecomeChannels() throws {
        let folder = try ScratchFolder()
        let (w, h, d) = (3, 2, 4)
        let names = ["flair", "t1", "t1ce", "t2"]
        var all = [Float]()
        for (m, name) in names.enumerated() {
            let values = (0..<w * h * d).map { Float($0 + 100 * m) }
            all += values
            try NIfTIVolume.write(values, header: NIfTIHeader(dimensions: [w, h, d], dataType: .int16), to: folder.file("case_\(name).nii.gz"))
        }
        let labels = (0..<w * h * d).map { Float([0, 1, 2, 4][$0 % 4]) }
        try NIfTIVolume.write(labels, header: NIfTIHeader(dimensions: [w, h, d], dataType: .uint8), to: folder.file("case_seg.nii.gz"))
        try NIfTIVolume.write(all, header: NIfTIHeader(dimensions: [w, h, d, 4], dataType: .int16), to: folder.file("case_4d.nii.gz"))
        let map = LabelMap.identity(values: [0, 1, 2, 4])
        let raw = RawNormalisation(intensity: [.fixedRange(low: 0, high: 1000)])
        let separate = try MultiSourceDataset(cases: [.init(sources: names.map { folder.file("case_\($0).nii.gz") }, labels: folder.file("case_seg.nii.gz"))],
                                              labelMap: map, normalisation: raw)
        let joined = try MultiSourceDataset(cases: [.init(sources: [folder.file("case_4d.nii.gz")], labels: folder.file("case_seg.nii.gz"))],
                                            labelMap: map, normalisation: RawNormalisation(channels: .all, intensity: [.fixedRange(low: 0, high: 1000)]))
        #expect(separate.count == d && joined.count == d)
        #expect(try separate.inputChannels() == 4)
        #expect(try joined.inputChannels() == 4)
        for z in 0..<d {
            let a = try separate.sample(z), b = try joined.sample(z)
            #expect(a.raw == b.raw && a.labels == b.labels)
            // Pixel (1, 1) of slice z, modality m: stored 1 + 3 + 6z + 100m → /1000·2 − 1.
            let got: [Float] = (0..<4).map { a.raw[1, 1, $0] }
            let want: [Float] = (0..<4).map { m in Float(4 + 6 * z + 100 * m) / 500 - 1 }
            #expect(Self.close(got, want))
            let classes: [Int32] = (0..<w * h).map { p in Int32((z * w * h + p) % 4) }
            #expect(a.labels == classes)
        }
        try NIfTIVolume.write([Float](repeating: 0, count: w * h * 3), header: NIfTIHeader(dimensions: [w, h, 3], dataType: .uint8), to: folder.file("short.nii"))
        expectFileError(folder.file("short.nii")) {
            _ = try MultiSourceDataset(cases: [.init(sources: [folder.file("short.nii")], labels: folder.file("case_seg.nii.gz"))], labelMap: map, normalisation: raw)
        }
    }
}
