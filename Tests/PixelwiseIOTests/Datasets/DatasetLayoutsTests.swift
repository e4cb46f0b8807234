import Foundation
import Testing
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct DatasetLayoutsTests {
    /// A fresh temporary folder with `raw/` and `labels/` made.
    static func temporaryFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "pixelwise-datasets-" + UUID().uuidString
        for sub in ["raw", "labels"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        return dir
    }

    static func grey(_ w: Int, _ h: Int, _ value: (Int) -> Float) -> Image {
        Image(width: w, height: h, channels: 1, sampleType: .uint8, pixels: (0..<w * h).map(value))
    }

    @Test func folderPairsMatchBySortedNameAndNormalise() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.grey(3, 2, { Float($0 * 51) }).write(to: dir + "/raw/b.png")
        try Self.grey(3, 2, { _ in 0 }).write(to: dir + "/raw/a.png")
        try Self.grey(3, 2, { $0 < 2 ? 255 : 0 }).write(to: dir + "/labels/1.png")
        try Self.grey(3, 2, { $0 == 5 ? 255 : 0 }).write(to: dir + "/labels/2.png")
        _ = FileManager.default.createFile(atPath: dir + "/raw/.hidden.png", contents: Data([1, 2]))
        let data = try FilePairDataset.folderPairs(raw: dir + "/raw", labels: dir + "/labels", labelMap: .foreground([255]))
        #expect(data.pairs.map { ($0.raw as NSString).lastPathComponent } == ["a.png", "b.png"])
        let b = try data.sample(1)
        #expect(b.labels == [0, 0, 0, 0, 0, 1])
        #expect(b.raw.pixels.first == -1 && b.raw.pixels.last == 1)
    }

    @Test func sizeMismatchNamesBothFiles() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.grey(4, 4, { _ in 0 }).write(to: dir + "/raw/x.png")
        try Self.grey(5, 4, { _ in 0 }).write(to: dir + "/labels/x.png")
        let data = try FilePairDataset.folderPairs(raw: dir + "/raw", labels: dir + "/labels", labelMap: .foreground([255]))
        do {
            _ = try data.sample(0)
            Issue.record("expected a size mismatch error")
        } catch let error as PixelwiseError {
            let text = error.description
            #expect(text.contains(dir + "/raw/x.png") && text.contains(dir + "/labels/x.png"), "\(text)")
            #expect(text.contains("4×4") && text.contains("5×4"))
        }
    }

    @Test func countMismatchNamesBothFolders() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.grey(2, 2, { _ in 0 }).write(to: dir + "/raw/a.png")
        try Self.grey(2, 2, { _ in 0 }).write(to: dir + "/raw/b.png")
        try Self.grey(2, 2, { _ in 0 }).write(to: dir + "/labels/a.png")
        #expect(throws: PixelwiseError.file(path: dir + "/raw", problem: "2 raw images but \(dir)/labels has 1 label images (first unpaired: \(dir)/raw/b.png)")) {
            try FilePairDataset.folderPairs(raw: dir + "/raw", labels: dir + "/labels", labelMap: .foreground([255]))
        }
        #expect(throws: PixelwiseError.self) {
            try FilePairDataset.folderPairs(raw: dir + "/none", labels: dir + "/labels", labelMap: .foreground([255]))
        }
    }

    @Test func stacksAndOxfordPetTrimaps() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ImageStack.write([Self.grey(2, 2, { _ in 10 }), Self.grey(2, 2, { _ in 20 })], to: dir + "/raw.tif")
        try ImageStack.write([Self.grey(2, 2, { _ in 0 }), Self.grey(2, 2, { $0 == 0 ? 255 : 0 })], to: dir + "/labels.tif")
        let stacks = try StackPairDataset(raw: dir + "/raw.tif", labels: dir + "/labels.tif", labelMap: .foreground([255]))
        #expect(stacks.count == 2)
        #expect(try stacks.sample(1).labels == [1, 0, 0, 0])

        for sub in ["images", "annotations/trimaps"] {
            try FileManager.default.createDirectory(atPath: dir + "/pet/" + sub, withIntermediateDirectories: true)
        }
        let rgb = Image(width: 2, height: 2, channels: 3, sampleType: .uint8, pixels: [Float](repeating: 128, count: 12))
        try rgb.write(to: dir + "/pet/images/Abyssinian_1.jpg")
        try Self.grey(2, 2, { Float([1, 2, 3, 1][$0]) }).write(to: dir + "/pet/annotations/trimaps/Abyssinian_1.png")
        let pet = try FilePairDataset.oxfordPet(root: dir + "/pet")
        let s = try pet.sample(0)
        #expect(s.labels == [1, 0, -1, 1])
        #expect(s.raw.channels == 3)
        #expect(try FilePairDataset.oxfordPet(root: dir + "/pet", unclassified: .foreground).sample(0).labels == [1, 0, 1, 1])
        try Self.grey(2, 2, { _ in 1 }).write(to: dir + "/pet/annotations/trimaps/Bengal_2.png")
        #expect(throws: PixelwiseError.self) { try FilePairDataset.oxfordPet(root: dir + "/pet") }
    }

    @Test func isbi2012ForegroundFraction() throws {
        let root = "/work/shared/data/isbi2012"
        guard FileManager.default.fileExists(atPath: root) else { return }
        let data = try FilePairDataset.isbi2012(root: root)
        #expect(data.count == 30)
        let s = try data.sample(0)
        #expect(s.width == 512 && s.height == 512 && s.raw.channels == 1)
        let fraction = Double(s.labels.filter { $0 == 1 }.count) / Double(s.labels.count)
        #expect(fraction > 0.65 && fraction < 0.9, "cell interior fraction \(fraction), README says about 78 %")
        #expect(s.raw.pixels.min()! >= -1 && s.raw.pixels.max()! <= 1)
    }

    @Test func ssTEMConsolidatesNineValues() throws {
        let root = "/work/shared/data/sstem-vnc"
        guard FileManager.default.fileExists(atPath: root) else { return }
        let data = try FilePairDataset.ssTEM(root: root)
        #expect(data.count == 16)
        let s = try data.sample(0)
        let nine = try FilePairDataset.ssTEM(root: root, labelMap: .identity(values: [0, 32, 64, 96, 128, 159, 191, 223, 255])).sample(0)
        // Foreground = mitochondria (class 6) + intracellular (class 8) of the nine-class map.
        #expect(s.labels.filter { $0 == 1 }.count == nine.labels.filter { $0 == 6 || $0 == 8 }.count)
        let fraction = Double(s.labels.filter { $0 == 1 }.count) / Double(s.labels.count)
        #expect(fraction > 0.4 && fraction < 0.95, "foreground fraction \(fraction)")
    }
}
