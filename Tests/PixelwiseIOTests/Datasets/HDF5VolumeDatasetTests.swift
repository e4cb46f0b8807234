import Testing
import PixelwiseCore
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite(.serialized) struct HDF5VolumeDatasetTests {
    @Test func referencesSplitFileAndDataset() {
        #expect(HDF5VolumeDataset.reference("a/b.h5:/volumes/raw")! == ("a/b.h5", "/volumes/raw"))
        #expect(HDF5VolumeDataset.reference("b.hdf5:volumes/raw")! == ("b.hdf5", "/volumes/raw"))
        #expect(HDF5VolumeDataset.reference("images/") == nil)
        #expect(HDF5VolumeDataset.reference("b.h5:") == nil)
    }

    /// A 3-slice uint8 raw volume and a label volume become three samples, slice by slice.
    @Test func slicesBecomeSamples() throws {
        let folder = try ScratchFolder()
        let path = folder.file("cremi.h5")
        let (d, h, w) = (3, 4, 5)
        let raw = (0..<(d * h * w)).map { UInt8($0 * 4 % 256) }
        let labels = (0..<(d * h * w)).map { UInt8($0 % 3 == 0 ? 255 : 0) }
        do {
            let file = try HDF5File(creating: path)
            try file.write(raw, shape: [d, h, w], at: "/volumes/raw")
            try file.write(labels, shape: [d, h, w], at: "/volumes/labels/membranes")
            file.close()
        }
        let dataset = try HDF5VolumeDataset(raw: path + ":/volumes/raw", labels: path + ":/volumes/labels/membranes",
                                            labelMap: .foreground([255]))
        #expect(dataset.count == 3)
        let s = try dataset.sample(2)
        #expect(s.width == 5 && s.height == 4)
        // Pixel 0 of slice 2 is element 40 → raw 160 → 160/255·2−1; label element 40 → 40 % 3 ≠ 0 → background.
        #expect(abs(s.raw.pixels[0] - (160.0 / 255 * 2 - 1)) < 1e-6)
        #expect(s.labels[0] == 0 && s.labels[2] == 1)  // element 42 % 3 == 0 → foreground

        let short = folder.file("short.h5")
        do {
            let file = try HDF5File(creating: short)
            try file.write(Array(labels.prefix(2 * h * w)), shape: [2, h, w], at: "/labels")
            file.close()
        }
        #expect(throws: PixelwiseError.self) {
            try HDF5VolumeDataset(raw: path + ":/volumes/raw", labels: short + ":/labels", labelMap: .foreground([255]))
        }
    }
}
