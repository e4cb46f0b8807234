import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Every volume reader against one plain reference: a volume of known values f(c, z, y, x)
/// written in each format, read back box by box through `VolumeSources.open`.
@Suite(.serialized) struct VolumeSourcesTests {
    /// Value of channel c at (z, y, x): distinct small integers (exact in uint8 for the sizes used).
    static func value(_ c: Int, _ z: Int, _ y: Int, _ x: Int) -> Float { Float((c * 97 + z * 31 + y * 7 + x) % 256) }

    /// The reference: the box cut out of the volume, channel-major, by the definition.
    static func reference(_ box: VoxelBox, channels: Int) -> [Float] {
        var out = [Float]()
        for c in 0..<channels {
            for z in box.origin[0]..<box.end[0] {
                for y in box.origin[1]..<box.end[1] {
                    for x in box.origin[2]..<box.end[2] { out.append(value(c, z, y, x)) }
                }
            }
        }
        return out
    }

    /// The slice z as an image with interleaved channels.
    static func slice(_ z: Int, width: Int, height: Int, channels: Int) -> Image {
        var pixels = [Float]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(value(c, z, y, x)) } } }
        return Image(width: width, height: height, channels: channels, sampleType: .uint8, pixels: pixels)
    }

    static let boxes = [VoxelBox(origin: [0, 0, 0], size: [4, 6, 9]), VoxelBox(origin: [1, 2, 3], size: [2, 3, 4]),
                        VoxelBox(origin: [3, 5, 8], size: [1, 1, 1]), VoxelBox(origin: [2, 0, 5], size: [2, 6, 2])]

    static func expectReads(_ volume: any VolumeReading, channels: Int) throws {
        #expect(volume.geometry.size == [4, 6, 9])
        #expect(volume.geometry.channels == channels)
        for box in boxes { #expect(try volume.read(box) == reference(box, channels: channels), "\(box)") }
        #expect(throws: PixelwiseError.self) { try volume.read(VoxelBox(origin: [3, 0, 0], size: [2, 6, 9])) }
    }

    @Test(arguments: [1, 3]) func readsMultiPageTIFF(channels: Int) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("stack.tif")
        try ImageStack.write((0..<4).map { Self.slice($0, width: 9, height: 6, channels: channels) }, to: path)
        let volume = try VolumeSources.open(path)
        #expect(volume is ImageStackVolume)
        #expect(volume.geometry.sampleType == .uint8 && volume.geometry.spacing == [1, 1, 1])
        try Self.expectReads(volume, channels: channels)
    }

    /// A stack written by tifffile as ImageJ does (`imagej=True`): its spacing is read from the
    /// description's `spacing=` and the resolution tags (Fixtures/make-tiff-fixtures.py).
    @Test func readsImageJSpacingOfAStack() throws {
        let volume = try VolumeSources.open(try Fixture.path("imagej-stack-spacing", "tif"))
        #expect(volume.geometry.size == [3, 4, 5])
        let spacing = volume.geometry.spacing
        let expected: [Double] = [0.05, 0.004, 0.004]
        #expect(zip(spacing, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(spacing)")
        var values: [Float] = []
        for z in 0..<3 { for y in 0..<4 { for x in 0..<5 { values.append(Float(z * 20 + y * 5 + x)) } } }
        #expect(try volume.read(VoxelBox(size: [3, 4, 5])) == values)
    }

    /// Pixelwise writes ImageJ's calibration (description on the first page, resolution tags) and
    /// reads it back; the fixture written by tifffile gives its unit too.
    @Test func writesAndReadsImageJCalibration() throws {
        #expect(try ImageJCalibration.read(path: try Fixture.path("imagej-stack-spacing", "tif"))?.unit == "micron")
        let scratch = try ScratchFolder()
        var options = TIFFWriteOptions()
        options.calibration = .init(ImageJCalibration(spacing: [0.05, 0.004, 0.005], unit: "micron"), pages: 4)
        try ImageStack.write((0..<4).map { Self.slice($0, width: 9, height: 6, channels: 1) }, to: scratch.file("c.tif"), options: options)
        let calibration = try #require(try ImageJCalibration.read(path: scratch.file("c.tif")))
        #expect(calibration.unit == "micron")
        #expect(zip(calibration.spacing, [0.05, 0.004, 0.005]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(calibration.spacing)")
        let volume = try VolumeSources.open(scratch.file("c.tif"))
        #expect(zip(volume.geometry.spacing, [0.05, 0.004, 0.005]).allSatisfy { abs($0 - $1) < 1e-9 })
        try Self.expectReads(volume, channels: 1)
    }

    @Test func spacingFromImageJDescriptions() {
        #expect(ImageJCalibration(description: "ImageJ=1.53t\nimages=3\nspacing=2.5\nunit=nm\n", xResolution: 0.5, yResolution: 0.25)?.spacing == [2.5, 4, 2])
        #expect(ImageJCalibration(description: "ImageJ=1.47b\ninfo=null", xResolution: nil, yResolution: nil)?.spacing == [1, 1, 1])
        #expect(ImageJCalibration(description: "ImageJ=1.53t\nspacing=3", xResolution: 0.5, yResolution: nil)?.spacing == [3, 2, 2])
        // Not ImageJ's: the resolution tags alone are a print size, not a voxel spacing.
        #expect(ImageJCalibration(description: "scanner", xResolution: 300, yResolution: 300) == nil)
        #expect(ImageJCalibration(description: nil, xResolution: 0.5, yResolution: 0.5) == nil)
        #expect(ImageJCalibration(description: "ImageJ=1.53t\nspacing=-1\nspacing=x", xResolution: 0, yResolution: nil)?.spacing == [1, 1, 1])
    }

    @Test func refusesTIFFPagesOfDifferentSizes() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("odd.tif")
        try ImageStack.write([Self.slice(0, width: 9, height: 6, channels: 1), Self.slice(1, width: 8, height: 6, channels: 1)], to: path)
        #expect(throws: PixelwiseError.file(path: path, problem: "page 1 is 8×6 with 1 channel(s) (8-bit format 1) but page 0 is 9×6 with 1 (8-bit format 1): a volume's pages must agree")) {
            try VolumeSources.open(path)
        }
    }

    @Test func readsAFolderOfSlicesInNameOrder() throws {
        let scratch = try ScratchFolder()
        try scratch.makeFolder("slices")
        // Written out of order: the name, not the time, orders them.
        for z in [2, 0, 3, 1] { try Self.slice(z, width: 9, height: 6, channels: 1).write(to: scratch.file("slices/s\(z).png")) }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: scratch.file("slices/notes.txt")))
        let volume = try VolumeSources.open(scratch.file("slices"))
        #expect(volume is SliceFolderVolume)
        try Self.expectReads(volume, channels: 1)
    }

    @Test func folderSliceOfAnotherSizeIsAnErrorNamingIt() throws {
        let scratch = try ScratchFolder()
        try scratch.makeFolder("slices")
        try Self.slice(0, width: 9, height: 6, channels: 1).write(to: scratch.file("slices/a.png"))
        try Self.slice(1, width: 9, height: 5, channels: 1).write(to: scratch.file("slices/b.png"))
        let volume = try VolumeSources.open(scratch.file("slices"))
        #expect(throws: PixelwiseError.file(path: scratch.file("slices/b.png"), problem: "is 9×5, 1 channel(s) uint8 but \(scratch.file("slices/a.png")) is 9×6, 1 channel(s) uint8: the slices of a folder must agree")) {
            try volume.read(VoxelBox(size: [2, 5, 9]))
        }
    }

    @Test(arguments: [".nii", ".nii.gz"]) func readsNIfTIWithSpacingAndChannels(suffix: String) throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("scan" + suffix)
        // NIfTI order: x fastest, then y, z, t (t = channel).
        var voxels = [Float]()
        for c in 0..<2 { for z in 0..<4 { for y in 0..<6 { for x in 0..<9 { voxels.append(Self.value(c, z, y, x)) } } } }
        try NIfTIVolume.write(voxels, header: NIfTIHeader(dimensions: [9, 6, 4, 2], dataType: .int16, spacing: [0.5, 0.75, 3]), to: path)
        let volume = try VolumeSources.open(path)
        #expect(volume.geometry.spacing == [3, 0.75, 0.5])
        #expect(volume.geometry.sampleType == .float32)  // int16 is read as floats
        try Self.expectReads(volume, channels: 2)
    }

    @Test func readsHDF5DatasetsOfEveryLayout() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("volume.h5")
        let file = try HDF5File(creating: path)
        var dhw = [UInt8](), cdhw = [UInt8](), dhwc = [UInt8](), wide = [Int64]()
        for z in 0..<4 { for y in 0..<6 { for x in 0..<9 { dhw.append(UInt8(Self.value(0, z, y, x))); wide.append(Int64(Self.value(0, z, y, x))) } } }
        for c in 0..<2 { for z in 0..<4 { for y in 0..<6 { for x in 0..<9 { cdhw.append(UInt8(Self.value(c, z, y, x))) } } } }
        for z in 0..<4 { for y in 0..<6 { for x in 0..<9 { for c in 0..<3 { dhwc.append(UInt8(Self.value(c, z, y, x))) } } } }
        try file.write(dhw, shape: [4, 6, 9], at: "/volumes/raw")
        try file.write(wide, shape: [4, 6, 9], at: "/volumes/ids")
        try file.write(cdhw, shape: [2, 4, 6, 9], at: "/cdhw")
        try file.write(dhwc, shape: [4, 6, 9, 3], at: "/dhwc")
        try file.write([UInt8](repeating: 0, count: 20 * 20 * 20 * 20), shape: [20, 20, 20, 20], at: "/ambiguous")
        try file.setNumericAttribute("resolution", [40, 4, 4], at: "/volumes/raw")
        file.close()

        let raw = try VolumeSources.open(path + ":/volumes/raw")
        #expect(raw.geometry.spacing == [40, 4, 4] && raw.geometry.sampleType == .uint8)
        try Self.expectReads(raw, channels: 1)
        let ids = try VolumeSources.open(path + ":volumes/ids")
        #expect(ids.geometry.sampleType == .uint8)  // int64 values all ≤ 255
        try Self.expectReads(ids, channels: 1)
        try Self.expectReads(try VolumeSources.open(path + ":/cdhw"), channels: 2)
        try Self.expectReads(try VolumeSources.open(path + ":/dhwc"), channels: 3)
        #expect(throws: PixelwiseError.file(path: path + ":/ambiguous", problem: "has shape [20,20,20,20]: no axis reads as channels (at most 16 values, first or last); store it as [C,D,H,W]")) {
            try VolumeSources.open(path + ":/ambiguous")
        }
        #expect(throws: PixelwiseError.file(path: path, problem: "is an HDF5 file: name the dataset, FILE.h5:/DATASET")) {
            try VolumeSources.open(path)
        }
    }

    @Test func spacingFromTheCommandLineReplacesTheFiles() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("stack.tif")
        try ImageStack.write((0..<4).map { Self.slice($0, width: 9, height: 6, channels: 1) }, to: path)
        let volume = try VolumeSources.open(path, spacing: try VolumeSources.parseSpacing("50, 4,4"))
        #expect(volume.geometry.spacing == [50, 4, 4])
        try Self.expectReads(volume, channels: 1)
        #expect(try VolumeSources.parseSpacing("2") == [2, 2, 2])
        for bad in ["1,2", "0,1,1", "a,b,c", "1,,2"] {
            #expect(throws: PixelwiseError.invalidArgument("--spacing \(bad): give the voxel size as z,y,x (three positive numbers, e.g. 40,4,4) or one number")) {
                try VolumeSources.parseSpacing(bad)
            }
        }
    }

    @Test func labelVolumesMapThroughTheLabelMap() throws {
        let scratch = try ScratchFolder()
        let path = scratch.file("labels.tif")
        // Labels 0 / 128 / 255 in a pattern; 255 → 1, 0 → 0, 128 ignored.
        func label(_ z: Int, _ y: Int, _ x: Int) -> Float { [0, 128, 255][(z + y + x) % 3] }
        let pages = (0..<3).map { z in
            Image(width: 5, height: 4, channels: 1, sampleType: .uint8, pixels: (0..<20).map { label(z, $0 / 5, $0 % 5) })
        }
        try ImageStack.write(pages, to: path)
        let map = try LabelMap(parsing: "background=0 membrane=255 ignore=128")
        let classes = try VolumeSources.classes(of: try VolumeSources.open(path), labelMap: map)
        var expected = [Int32]()
        for z in 0..<3 { for y in 0..<4 { for x in 0..<5 { expected.append([0, LabelMap.ignore, 1][(z + y + x) % 3]) } } }
        #expect(classes == expected)
        #expect(throws: PixelwiseError.file(path: path, problem: "label value 128 at voxel (z 0, y 0, x 1) has no class in the label map")) {
            try VolumeSources.classes(of: try VolumeSources.open(path), labelMap: LabelMap(parsing: "0 255"))
        }
    }

    @Test func trainingVolumesAreNormalisedOverTheWholeVolumeAndMustMatchTheirLabels() throws {
        let scratch = try ScratchFolder()
        try ImageStack.write((0..<4).map { Self.slice($0, width: 9, height: 6, channels: 1) }, to: scratch.file("raw.tif"))
        let labels = (0..<4).map { _ in Image(width: 9, height: 6, channels: 1, sampleType: .uint8, pixels: [Float](repeating: 255, count: 54)) }
        try ImageStack.write(labels, to: scratch.file("labels.tif"))
        try ImageStack.write(Array(labels.prefix(3)), to: scratch.file("short.tif"))
        let sample = try VolumeSample.load(raw: try VolumeSources.open(scratch.file("raw.tif")), labels: try VolumeSources.open(scratch.file("labels.tif")),
                                           labelMap: .foreground([255]), normalisation: RawNormalisation(intensity: [.zScore(nonZeroOnly: false)]))
        // Reference: (v − mean) / std over all 216 voxels, in double precision.
        let values = Self.reference(VoxelBox(size: [4, 6, 9]), channels: 1).map(Double.init)
        let mean = values.reduce(0, +) / 216, std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 216).squareRoot()
        #expect(sample.size == [4, 6, 9] && sample.channels == 1 && sample.labels == [Int32](repeating: 1, count: 216))
        for (got, v) in zip(sample.raw, values) { #expect(abs(Double(got) - (v - mean) / std) < 1e-5) }
        #expect(throws: PixelwiseError.file(path: scratch.file("raw.tif"), problem: "volume is 4×6×9 (z×y×x) but its labels \(scratch.file("short.tif")) are 3×6×9")) {
            try VolumeSample.load(raw: try VolumeSources.open(scratch.file("raw.tif")), labels: try VolumeSources.open(scratch.file("short.tif")),
                                  labelMap: .foreground([255]), normalisation: RawNormalisation())
        }
    }
}
