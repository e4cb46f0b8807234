import PixelwiseCore
import Testing
@testable import PixelwiseIO

/// Volumes re-cut along y or x for 2-D networks, checked by hand on a 3 × 2 × 2 volume.
@Suite struct VolumeSlicingTests {
    /// Page z holds 100 z + 10 y + x at (x, y): every voxel names its own coordinates.
    static func pages(width w: Int = 3, height h: Int = 2, depth d: Int = 2, channels c: Int = 1) -> [Image] {
        (0..<d).map { z in
            Image(width: w, height: h, channels: c, sampleType: .float32,
                  pixels: (0..<(w * h * c)).map { i in Float(100 * z + 10 * ((i / c) / w) + (i / c) % w + 1000 * (i % c)) })
        }
    }

    @Test func slicesAlongYAndXByHand() {
        let v = Self.pages()
        #expect(VolumeSlicing.slices(v, along: .z).map(\.pixels) == v.map(\.pixels))
        let y = VolumeSlicing.slices(v, along: .y)
        // Two y slices, each 3 wide (x) and 2 high (z): pixel (x, z) = 100 z + 10 y + x.
        #expect(y.count == 2 && y.allSatisfy { $0.width == 3 && $0.height == 2 })
        #expect(y[0].pixels == [0, 1, 2, 100, 101, 102])
        #expect(y[1].pixels == [10, 11, 12, 110, 111, 112])
        let x = VolumeSlicing.slices(v, along: .x)
        // Three x slices, each 2 wide (y) and 2 high (z): pixel (y, z) = 100 z + 10 y + x.
        #expect(x.count == 3 && x.allSatisfy { $0.width == 2 && $0.height == 2 })
        #expect(x[0].pixels == [0, 10, 100, 110])
        #expect(x[2].pixels == [2, 12, 102, 112])
    }

    @Test func channelsStayTogetherAndSlicesGoBack() {
        let v = Self.pages(width: 4, height: 3, depth: 5, channels: 2)
        for axis in SliceAxis.allCases {
            let s = VolumeSlicing.slices(v, along: axis)
            #expect(s.allSatisfy { $0.channels == 2 })
            #expect(VolumeSlicing.pages(fromSlices: s, along: axis).map(\.pixels) == v.map(\.pixels))
        }
        let y = VolumeSlicing.slices(v, along: .y)
        #expect(Array(y[1].pixels.prefix(4)) == [10, 1010, 11, 1011])  // (x 0, z 0) then (x 1, z 0), two channels each
    }

    @Test func samplesOfEachVolumeAreReslicedAndNamed() throws {
        func samples(_ volume: String, depth: Int) -> [Sample] {
            Self.pages(depth: depth).enumerated().map { z, page in
                Sample(raw: page, labels: page.pixels.map { Int32($0) % 2 }, name: "\(volume)[\(z)]")
            }
        }
        let all = samples("a.nii.gz", depth: 2) + samples("b.tif", depth: 4)
        let y = try VolumeSlicing.resliced(all, along: .y)
        #expect(y.map(\.name) == ["a.nii.gz[y=0]", "a.nii.gz[y=1]", "b.tif[y=0]", "b.tif[y=1]"])
        #expect(y[3].width == 3 && y[3].height == 4 && y[3].raw.pixels == [10, 11, 12, 110, 111, 112, 210, 211, 212, 310, 311, 312])
        #expect(y[3].labels == y[3].raw.pixels.map { Int32($0) % 2 })
        #expect(try VolumeSlicing.resliced(all, along: .x).count == 6)
        let image = Sample(raw: Self.pages()[0], labels: [Int32](repeating: 0, count: 6), name: "photo.png")
        #expect(throws: PixelwiseError.file(path: "photo.png", problem: "is an image, not a slice of a volume; --slice-axis x needs volumes (TIFF stacks, HDF5, NIfTI)")) {
            try VolumeSlicing.resliced([image], along: .x)
        }
        #expect(try VolumeSlicing.resliced([image], along: .z).map(\.name) == ["photo.png"])
    }
}
