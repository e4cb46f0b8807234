import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// NIfTI-1/-2 reading and writing: every data type both ways, gzip, scaling, the affine kept,
/// files written by nibabel, and bad files as one-line errors.
@Suite struct NIfTITests {
    /// A header with everything a writer must keep set to something other than the default.
    static func header(_ dims: [Int], _ type: NIfTIDataType, version: Int = 1) -> NIfTIHeader {
        var h = NIfTIHeader(dimensions: dims, dataType: type, spacing: [0.75, 1.25, 2.5, 1], version: version)
        h.pixdim[0] = -1
        h.qformCode = 1
        h.sformCode = 2
        h.quaternion = [0, 0, 0.5]
        h.quaternionOffset = [10.5, -20.25, 7]
        h.sform = [[-0.75, 0.125, 0, 90], [0, 1.25, 0, -126], [0, 0, 2.5, -72]]
        h.units = 10
        h.description = "test volume"
        h.intentName = "labels"
        return h
    }

    /// Values each type stores exactly (and `Float` holds exactly).
    static func values(count: Int, type: NIfTIDataType) -> [Float] {
        (0..<count).map { i -> Float in
            switch type {
            case .uint8: Float((i * 37) % 256)
            case .int16: Float((i * 997) % 65536 - 32768)
            case .uint16: Float((i * 2999) % 65536)
            case .int32: Float(i * 123_457 - 4_000_000)
            case .float32: Float(i) * 0.37 - 3
            case .float64: Float(i) * -1.5e-3 + 1e6
            }
        }
    }

    @Test(arguments: NIfTIDataType.allCases, [".nii", ".nii.gz"])
    func roundTripsEveryDataTypeInBothVersions(type: NIfTIDataType, suffix: String) throws {
        let folder = try ScratchFolder()
        for version in [1, 2] {
            let h = Self.header([5, 4, 3, 2], type, version: version)
            let values = Self.values(count: h.voxelCount, type: type)
            let path = folder.file("v\(version)\(suffix)")
            try NIfTIVolume.write(values, header: h, to: path)
            let volume = try NIfTIVolume(path: path)
            #expect(volume.compressed == suffix.hasSuffix(".gz"))
            #expect(volume.header.version == version)
            #expect(volume.header.dataType == type)
            #expect(volume.header.dimensions == [5, 4, 3, 2])
            #expect(volume.header.pixdim.prefix(4) == [-1, 0.75, 1.25, 2.5])
            #expect(volume.header.qformCode == 1 && volume.header.sformCode == 2)
            #expect(volume.header.quaternion == [0, 0, 0.5] && volume.header.quaternionOffset == [10.5, -20.25, 7])
            #expect(volume.header.sform == h.sform)
            #expect(volume.header.units == 10 && volume.header.description == "test volume" && volume.header.intentName == "labels")
            #expect(try volume.readAll() == values)
            #expect(try ImageFormat.detect(path: path) == .nifti)
        }
    }

    @Test func largeDimensionsNeedVersionTwo() throws {
        let folder = try ScratchFolder()
        let h = NIfTIHeader(dimensions: [40_000, 1], dataType: .uint8)
        expectFileError(folder.file("wide.nii")) { try NIfTIVolume.write([Float](repeating: 1, count: 40_000), header: h, to: folder.file("wide.nii")) }
        var h2 = h
        h2.version = 2
        try NIfTIVolume.write([Float](repeating: 1, count: 40_000), header: h2, to: folder.file("wide.nii"))
        #expect(try NIfTIVolume(path: folder.file("wide.nii")).header.dimensions == [40_000, 1])
    }

    @Test(arguments: [NIfTIDataType.uint8, .int16, .int32, .float32])
    func scalingIsAppliedOnReadAndInvertedOnWrite(type: NIfTIDataType) throws {
        let folder = try ScratchFolder()
        var h = NIfTIHeader(dimensions: [4, 3, 2], dataType: type)
        h.scaleSlope = 0.5
        h.scaleIntercept = -10
        // Real values 0.5·k − 10 for stored k = 0…23: exact in every type.
        let values = (0..<24).map { Float($0) * 0.5 - 10 }
        try NIfTIVolume.write(values, header: h, to: folder.file("s.nii.gz"))
        let volume = try NIfTIVolume(path: folder.file("s.nii.gz"))
        #expect(volume.header.scaleSlope == 0.5 && volume.header.scaleIntercept == -10)
        #expect(volume.sampleType == .float32)
        #expect(try volume.readAll() == values)
        // The stored values are k (read unscaled by clearing the slope in a copy of the bytes).
        let raw = NIfTICoding.encode(values, type: type, slope: 0.5, intercept: -10)
        var stored = [Float](repeating: 0, count: 24)
        stored.withUnsafeMutableBufferPointer { NIfTICoding.decode(raw, type: type, littleEndian: true, slope: 0, intercept: 0, into: $0) }
        #expect(stored == (0..<24).map(Float.init))
    }

    @Test func integerTypesRoundAndClamp() {
        let raw = NIfTICoding.encode([-3.6, 2.5, 300, .nan, 7.4], type: .uint8, slope: 0, intercept: 0)
        #expect(raw == [0, 3, 255, 0, 7])  // .5 rounds away from zero, as Double.rounded() does
        let wide = NIfTICoding.encode([-40_000, 40_000], type: .int16, slope: 0, intercept: 0)
        var back = [Float](repeating: 0, count: 2)
        back.withUnsafeMutableBufferPointer { NIfTICoding.decode(wide, type: .int16, littleEndian: true, slope: 0, intercept: 0, into: $0) }
        #expect(back == [-32768, 32767])
    }

    @Test func bigEndianValuesAreSwapped() {
        // int16 300 = 0x012C and −2 = 0xFFFE stored big-endian.
        var out = [Float](repeating: 0, count: 2)
        out.withUnsafeMutableBufferPointer { NIfTICoding.decode([0x01, 0x2C, 0xFF, 0xFE], type: .int16, littleEndian: false, slope: 0, intercept: 0, into: $0) }
        #expect(out == [300, -2])
    }

    @Test(arguments: [".nii", ".nii.gz"])
    func slicesMatchTheWholeVolume(suffix: String) throws {
        let folder = try ScratchFolder()
        let h = Self.header([6, 5, 4, 3], .int16)
        let values = Self.values(count: h.voxelCount, type: .int16)
        let path = folder.file("s" + suffix)
        try NIfTIVolume.write(values, header: h, to: path)
        let volume = try NIfTIVolume(path: path)
        #expect(volume.sliceCount == 12)
        var seen = [(Int, Int)]()
        try volume.forEachSlice { z, t, slice in
            seen.append((z, t))
            let start = (t * 4 + z) * 30
            #expect(slice.pixels == Array(values[start..<start + 30]))
            let again = try volume.slice(z, volume: t)
            #expect(again == slice)
        }
        #expect(seen.map { $0.0 } == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3] && seen.map { $0.1 } == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        // Pixel (x, y) of slice z is voxel x + 6y + 30z.
        #expect(try volume.slice(2)[3, 4] == values[3 + 6 * 4 + 30 * 2])
        expectFileError(path) { _ = try volume.slice(4) }
    }

    @Test func uint8AndUint16SlicesKeepTheirSampleType() throws {
        let folder = try ScratchFolder()
        try NIfTIVolume.write([1, 2, 3, 4], header: NIfTIHeader(dimensions: [2, 2], dataType: .uint8), to: folder.file("a.nii"))
        try NIfTIVolume.write([1, 2, 3, 4], header: NIfTIHeader(dimensions: [2, 2], dataType: .uint16), to: folder.file("b.nii"))
        #expect(try NIfTIVolume(path: folder.file("a.nii")).slice(0).sampleType == .uint8)
        #expect(try NIfTIVolume(path: folder.file("b.nii")).slice(0).sampleType == .uint16)
    }

    /// The qform as nifti1_io's quatern_to_mat44 computes it, checked by hand: a 90° rotation
    /// about z is the quaternion (a, b, c, d) = (cos 45°, 0, 0, sin 45°); its matrix maps x → y
    /// and y → −x, each column scaled by the spacing; qfac −1 negates the z column.
    @Test func qformAffineByHand() {
        var h = NIfTIHeader(dimensions: [2, 2, 2], dataType: .uint8, spacing: [1.5, 2, 3])
        h.qformCode = 1
        h.quaternion = [0, 0, 0.5.squareRoot()]
        h.quaternionOffset = [10, -20, 5]
        let expected: [[Double]] = [[0, -2, 0, 10], [1.5, 0, 0, -20], [0, 0, 3, 5]]
        #expect(zip(h.affine.joined(), expected.joined()).allSatisfy { abs($0 - $1) < 1e-12 })
        h.pixdim[0] = -1
        #expect(abs(h.affine[2][2] + 3) < 1e-12)
        // The sform wins when its code is set; with neither code, the spacing on the diagonal.
        h.sformCode = 1
        h.sform = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
        #expect(h.affine == h.sform)
        h.sformCode = 0
        h.qformCode = 0
        #expect(h.affine == [[1.5, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]])
    }

    /// A segmentation written with `derived` overlays its scan: same grid, spacing and transforms.
    @Test func derivedHeaderKeepsTheAffine() throws {
        let folder = try ScratchFolder()
        var scan = Self.header([6, 5, 4], .float32)
        scan.scaleSlope = 2
        scan.calibrationMaximum = 100
        try NIfTIVolume.write(Self.values(count: 120, type: .float32), header: scan, to: folder.file("scan.nii.gz"))
        let read = try NIfTIVolume(path: folder.file("scan.nii.gz")).header
        let labels = read.derived(dataType: .uint8)
        try NIfTIVolume.write([Float](repeating: 4, count: 120), header: labels, to: folder.file("seg.nii.gz"))
        let seg = try NIfTIVolume(path: folder.file("seg.nii.gz"))
        #expect(seg.header.dimensions == [6, 5, 4] && seg.header.dataType == .uint8 && !seg.header.isScaled)
        #expect(seg.header.affine == read.affine && seg.header.qformAffine == read.qformAffine)
        #expect(seg.header.spacing == read.spacing && seg.header.calibrationMaximum == 0)
        #expect(try seg.readAll().allSatisfy { $0 == 4 })
        let probabilities = read.derived(dataType: .float32, extraDimensions: [3])
        #expect(probabilities.dimensions == [6, 5, 4, 3] && probabilities.affine == read.affine)
    }

    // MARK: files written by nibabel (Fixtures/make-nifti-fixtures.py)

    @Test func readsNibabelNIfTI1WithScalingAndBothTransforms() throws {
        let volume = try NIfTIVolume(path: try Fixture.path("nibabel-int16-scaled.nii", "gz"))
        let h = volume.header
        #expect(volume.compressed && h.version == 1 && h.dataType == .int16 && h.dimensions == [5, 4, 3])
        #expect(h.qformCode == 1 && h.sformCode == 2 && h.units == 10 && h.description == "pixelwise fixture")
        #expect(Float(h.scaleSlope) == 0.012497139163315296 && Float(h.scaleIntercept) == 9.506248474121094)
        #expect(zip(h.spacing, [0.9, 1.1, 2.5]).allSatisfy { abs($0 - $1) < 1e-6 })
        // nibabel's img.affine (the sform) and img.get_qform(), as it printed them.
        let affine: [[Double]] = [[-0.9, 0.1, 0, 91], [0, 1.1, 0, -124.5], [0, 0, 2.5, -69.25]]
        let qform: [[Double]] = [[-0.9, 0, 0, 90], [0, 1.1, 0, -126.5], [0, 0, 2.5, -72.25]]
        #expect(zip(h.affine.joined(), affine.joined()).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(h.qformAffine.joined(), qform.joined()).allSatisfy { abs($0 - $1) < 1e-6 })
        // nibabel's get_fdata() at [1, 2, :], [4, 3, 2] and [0, 0, 0].
        let all = try volume.readAll()
        func at(_ x: Int, _ y: Int, _ z: Int) -> Float { all[x + 5 * y + 20 * z] }
        let expected: [(Float, Float)] = [(at(1, 2, 0), -326.5043322099), (at(1, 2, 1), 23.503044337), (at(1, 2, 2), 373.4979237448),
                                          (at(4, 3, 2), 419.0000074384734), (at(0, 0, 0), -400.00000762939453)]
        for (got, want) in expected { #expect(abs(got - want) < 1e-3) }
    }

    @Test func readsNibabelNIfTI2() throws {
        let path = try Fixture.path("nibabel-float32-v2", "nii")
        let volume = try NIfTIVolume(path: path)
        let h = volume.header
        #expect(!volume.compressed && h.version == 2 && h.dataType == .float32 && h.dimensions == [4, 3, 2])
        #expect(h.qformCode == 1 && h.sformCode == 0 && h.spacing == [1.5, 2, 3])
        let affine: [[Double]] = [[0, -2, 0, 10], [1.5, 0, 0, -20], [0, 0, 3, 5]]
        #expect(zip(h.affine.joined(), affine.joined()).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(try volume.readAll() == (0..<24).map { Float($0) * 0.25 - 1.5 })
        let stack = try ImageStack(path: path)
        #expect(stack.format == .nifti && stack.count == 2 && stack.name == "nibabel-float32-v2")
        #expect(try stack.page(1).pixels == (12..<24).map { Float($0) * 0.25 - 1.5 })
    }

    // MARK: as images and stacks

    @Test func imagesAndStacksOpenVolumes() throws {
        let folder = try ScratchFolder()
        let image = Image.pattern(width: 7, height: 5, channels: 1, type: .uint16)
        try image.write(to: folder.file("one.nii.gz"))
        #expect(try Image(contentsOf: folder.file("one.nii.gz")) == image)
        let colour = Image.pattern(width: 4, height: 3, channels: 3, type: .float32)
        try colour.write(to: folder.file("rgb.nii"))
        let stack = try ImageStack(path: folder.file("rgb.nii"))
        #expect(stack.count == 3 && stack.name == "rgb")
        #expect(try stack.readAll().map { $0.pixels } == (0..<3).map { c in stride(from: c, to: 36, by: 3).map { colour.pixels[$0] } })
        #expect(try inspectDescription(path: folder.file("one.nii.gz")).contains("NIfTI 7×5, 1 page"))
    }

    // MARK: bad files: one line naming the file

    static func expectOneLineError(_ path: String, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
                                   _ body: () throws -> Void) {
        let problem = expectFileError(path, sourceLocation: sourceLocation, body)
        #expect(problem.contains(text), "\(problem)", sourceLocation: sourceLocation)
        #expect(!problem.contains("\n"), sourceLocation: sourceLocation)
    }

    @Test func truncatedPlainFileIsRejectedOnOpening() throws {
        let folder = try ScratchFolder()
        let path = folder.file("t.nii")
        try NIfTIVolume.write(Self.values(count: 60, type: .float32), header: NIfTIHeader(dimensions: [5, 4, 3], dataType: .float32), to: path)
        let all = try bytes(of: path)
        try write(Array(all.prefix(all.count - 10)), to: path)
        Self.expectOneLineError(path, containing: "truncated") { _ = try NIfTIVolume(path: path) }
        Self.expectOneLineError(path, containing: "truncated") { _ = try ImageStack(path: path) }
        try write(Array(all.prefix(200)), to: path)
        Self.expectOneLineError(path, containing: "truncated NIfTI-1 header") { _ = try NIfTIVolume(path: path) }
    }

    @Test func truncatedGzipIsRejectedWhenRead() throws {
        let folder = try ScratchFolder()
        let path = folder.file("t.nii.gz")
        // Noise does not compress, so cutting the file cuts into the voxels.
        var generator = SplitMix64(seed: 3)
        let noise = (0..<4000).map { _ in Float(generator.next() % 65536) }
        try NIfTIVolume.write(noise, header: NIfTIHeader(dimensions: [20, 20, 10], dataType: .uint16), to: path)
        let all = try bytes(of: path)
        try write(Array(all.prefix(all.count / 2)), to: path)
        let volume = try NIfTIVolume(path: path)
        Self.expectOneLineError(path, containing: "truncated") { _ = try volume.readAll() }
        Self.expectOneLineError(path, containing: "truncated") { _ = try volume.slice(9) }
    }

    @Test func corruptGzipIsRejected() throws {
        let folder = try ScratchFolder()
        let path = folder.file("c.nii.gz")
        var generator = SplitMix64(seed: 4)
        try NIfTIVolume.write((0..<4000).map { _ in Float(generator.next() % 256) }, header: NIfTIHeader(dimensions: [20, 20, 10], dataType: .uint8), to: path)
        var all = try bytes(of: path)
        for i in stride(from: all.count / 3, to: all.count / 3 + 64, by: 1) { all[i] ^= 0x5A }
        try write(all, to: path)
        let problem = expectFileError(path) { _ = try NIfTIVolume(path: path).readAll() }
        #expect(problem.contains("gzip") || problem.contains("truncated"), "\(problem)")
        #expect(!problem.contains("\n"))
    }

    @Test func unsupportedDataTypeAndBadHeaderFieldsAreNamed() throws {
        let folder = try ScratchFolder()
        let path = folder.file("h.nii")
        try NIfTIVolume.write([1, 2, 3, 4], header: NIfTIHeader(dimensions: [2, 2], dataType: .uint8), to: path)
        var all = try bytes(of: path)
        all[70] = 128  // datatype 128 = RGB24
        try write(all, to: path)
        Self.expectOneLineError(path, containing: "datatype 128 is not supported") { _ = try NIfTIVolume(path: path) }
        all[70] = 2
        all[40] = 9  // dim[0] = 9
        try write(all, to: path)
        Self.expectOneLineError(path, containing: "dim[0] = 9") { _ = try NIfTIVolume(path: path) }
        all[40] = 2
        all[72] = 16  // bitpix 16 for uint8
        try write(all, to: path)
        Self.expectOneLineError(path, containing: "bitpix 16") { _ = try NIfTIVolume(path: path) }
    }

    @Test func gzipOfSomethingElseAndNoiseAreNotNIfTI() throws {
        let folder = try ScratchFolder()
        let gz = folder.file("notes.nii.gz")
        let writer = try GzipWriter(path: gz, compressed: true, reportingAs: gz)
        try writer.write(Array("just some text, not a volume".utf8))
        try writer.close()
        Self.expectOneLineError(gz, containing: "gzip file that does not hold a NIfTI volume") { _ = try ImageStack(path: gz) }
        Self.expectOneLineError(gz, containing: "not a NIfTI file") { _ = try NIfTIVolume(path: gz) }
        let empty = folder.file("empty.nii")
        try write([], to: empty)
        Self.expectOneLineError(empty, containing: "empty") { _ = try NIfTIVolume(path: empty) }
        Self.expectOneLineError(folder.file("missing.nii"), containing: "no such file") { _ = try NIfTIVolume(path: folder.file("missing.nii")) }
    }

    @Test func failedWriteLeavesNoFile() throws {
        let folder = try ScratchFolder()
        let path = folder.file("short.nii.gz")
        expectFileError(path) {
            try NIfTIVolume.write(header: NIfTIHeader(dimensions: [4, 4], dataType: .uint8), to: path) { sink in try sink.append([1, 2, 3]) }
        }
        #expect(try folder.contents().isEmpty)
    }
}
