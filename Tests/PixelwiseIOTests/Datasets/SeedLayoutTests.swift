import Foundation
import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// The seeds' layouts: Oxford-IIIT Pet (RGB photos of mixed sizes + trimaps, resized to a side)
/// and BraTS case folders (four NIfTI modalities + labels); resizing checked by hand.
@Suite struct SeedLayoutTests {
    @Test func bilinearResizeByHand() {
        // Pixel centres: upsampling [0, 10] to 4 samples at x_src = −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
        let up = Image(width: 2, height: 1, channels: 1, sampleType: .float32, pixels: [0, 10]).resizedBilinear(width: 4, height: 1)
        #expect(up.pixels == [0, 2.5, 7.5, 10])
        // Downsampling [0, 10, 20, 30] to 2 samples at x_src = 0.5 and 2.5.
        let down = Image(width: 4, height: 1, channels: 1, sampleType: .float32, pixels: [0, 10, 20, 30]).resizedBilinear(width: 2, height: 1)
        #expect(down.pixels == [5, 25])
        // Two channels, 2×2 → 1×1 samples the centre: the mean of the four.
        let rg = Image(width: 2, height: 2, channels: 2, sampleType: .uint8, pixels: [0, 100, 10, 100, 20, 100, 31, 100]).resizedBilinear(width: 1, height: 1)
        #expect(rg.pixels == [15, 100] && rg.sampleType == .uint8)  // 15.25 rounded
    }

    @Test func labelsResizeByNearestPixel() {
        let out = ResizedDataset<InMemoryDataset>.resizedNearest([0, 1, 2, -1], width: 2, height: 2, to: 4, 4)
        #expect(out == [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, -1, -1, 2, 2, -1, -1])
    }

    static func writePet(_ folder: ScratchFolder, _ name: String, width: Int, height: Int) throws {
        // Red pet on a blue background; the border between them unclassified (3).
        var photo = Image(width: width, height: height, channels: 3, sampleType: .uint8)
        var trimap = Image(width: width, height: height, channels: 1, sampleType: .uint8)
        for y in 0..<height {
            for x in 0..<width {
                let inside = x < width / 2
                photo[x, y, 0] = inside ? 220 : 10
                photo[x, y, 2] = inside ? 10 : 220
                trimap[x, y] = x == width / 2 ? 3 : inside ? 1 : 2
            }
        }
        try photo.write(to: folder.file("images/\(name).jpg"))
        try trimap.write(to: folder.file("annotations/trimaps/\(name).png"))
    }

    @Test func oxfordPetKeepsColourAndResizesMixedSizes() throws {
        let folder = try ScratchFolder()
        for sub in ["images", "annotations/trimaps"] { try FileManager.default.createDirectory(atPath: folder.file(sub), withIntermediateDirectories: true) }
        try Self.writePet(folder, "Abyssinian_1", width: 40, height: 30)
        try Self.writePet(folder, "beagle_2", width: 24, height: 36)
        let pets = try FilePairDataset.oxfordPet(root: folder.path)
        #expect(pets.count == 2 && pets.labelMap.outputValues == [2, 1])
        let resized = ResizedDataset(pets, side: 16)
        for i in 0..<2 {
            let s = try resized.sample(i)
            #expect(s.width == 16 && s.height == 16 && s.raw.channels == 3)
            // Left half pet (class 1, red), right half background (class 0, blue).
            #expect(s.labels[16 * 8 + 2] == 1 && s.labels[16 * 8 + 13] == 0)
            #expect(s.raw[2, 8, 0] > 0.5 && s.raw[2, 8, 2] < -0.5 && s.raw[13, 8, 2] > 0.5)
        }
    }

    @Test func bratsCaseFolders() throws {
        let folder = try ScratchFolder()
        let (w, h, d) = (6, 5, 3)
        for c in ["BraTS20_Training_001", "BraTS20_Training_002"] {
            try FileManager.default.createDirectory(atPath: folder.file(c), withIntermediateDirectories: true)
            var header = NIfTIHeader(dimensions: [w, h, d], dataType: .int16, spacing: [1, 1, 1])
            header.sformCode = 1
            header.sform = [[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0]]
            for (m, modality) in MultiSourceDataset.bratsModalities.enumerated() {
                // Background 0, brain voxels 100·(m+1) + x.
                let values = (0..<w * h * d).map { i -> Float in i % w == 0 ? 0 : Float(100 * (m + 1) + i % w) }
                try NIfTIVolume.write(values, header: header, to: folder.file("\(c)/\(c)_\(modality).nii.gz"))
            }
            let seg = (0..<w * h * d).map { i -> Float in [0, 0, 1, 2, 4, 4][i % w] }
            try NIfTIVolume.write(seg, header: header.derived(dataType: .uint8), to: folder.file("\(c)/\(c)_seg.nii.gz"))
        }
        let brats = try MultiSourceDataset.brats(root: folder.path)
        #expect(brats.count == 2 * d)
        #expect(try brats.inputChannels() == 4)
        let s = try brats.sample(4)
        #expect(s.raw.channels == 4 && s.labels[0..<6] == [0, 0, 1, 2, 3, 3])
        // z-score over the non-zero voxels: background stays 0, each row's brain voxels x = 1…5 → −√2 … √2.
        let root2 = Float(2).squareRoot()
        #expect(s.raw[0, 0, 2] == 0 && abs(s.raw[1, 0, 0] + root2) < 1e-5 && abs(s.raw[5, 0, 3] - root2) < 1e-5)
        let whole = try MultiSourceDataset.brats(root: folder.path, modalities: ["flair"], labelMap: try LabelMap(parsing: "background=0 tumour=1,2,4"))
        let t = try whole.sample(0)
        #expect(t.raw.channels == 1 && t.labels[0..<6] == [0, 0, 1, 1, 1, 1])
        try FileManager.default.removeItem(atPath: folder.file("BraTS20_Training_002/BraTS20_Training_002_t1ce.nii.gz"))
        #expect(throws: PixelwiseError.file(path: folder.file("BraTS20_Training_002"), problem: "no BraTS20_Training_002_t1ce.nii.gz in the case folder")) {
            try MultiSourceDataset.brats(root: folder.path)
        }
    }
}
