import Foundation
import PixelwiseIO
import PixelwiseModels
import PixelwiseTestSupport
import Testing

/// `pixelwise segment VOLUME --out FILE.zarr/PATH`: blockwise into a chunked store, the same
/// bytes whether one process does every block, `--block-range` shares do them, or two `mpirun`
/// processes share them dynamically; the same values as segmenting the slices as a TIFF stack.
@Suite struct SegmentBlockwiseTests {
    static let size = [4, 90, 80]

    /// model.h5 (Tschopp's valid-padding U-Net at 2 base filters), raw.zarr/raw (uint8, chunks
    /// 1×64×64) and the same slices as raw.tif.
    func setUp() throws -> ScratchFolder {
        let scratch = try ScratchFolder()
        let graph = try ModelZoo.preset(named: "tschopp-unet").makeGraph(PresetOptions(baseFilters: 2, seed: 5))
        graph.metadata["model"] = "tschopp-unet"
        try ModelFile(graph: graph).write(to: scratch.file("model.h5"))
        let s = Self.size, plane = s[1] * s[2]
        var random = SplitMix64(seed: 3)
        let values = (0..<(s[0] * plane)).map { i in Float(((i % s[2]) % 13 < 2 ? 50 : 160) + Int(random.next() % 60)) }
        let raw = try ChunkedStores.create(path: scratch.file("raw.zarr/raw"), geometry: VolumeGeometry(channels: 1, size: s, sampleType: .uint8), chunkSize: [1, 64, 64])
        try raw.write(values, at: VoxelBox(size: s))
        try raw.finish()
        try ImageStack.write((0..<s[0]).map { z in
            Image(width: s[2], height: s[1], channels: 1, sampleType: .uint8, pixels: Array(values[(z * plane)..<((z + 1) * plane)]))
        }, to: scratch.file("raw.tif"))
        return scratch
    }

    func segment(_ out: String, _ extra: [String] = []) -> [String] {
        ["segment", "--model", "model.h5", "raw.zarr/raw", "--out", out, "--tile", "220", "--chunks", "1,32,48", "--work-block", "1,64,48"] + extra
    }

    /// The array's chunk files and metadata, by name (completion records left out).
    func chunkFiles(_ scratch: ScratchFolder, _ array: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try scratch.contents(array) where name != ".pixelwise-blocks" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: scratch.file(array + "/" + name)))
        }
        return files
    }

    func markers(_ scratch: ScratchFolder, _ array: String) throws -> [String] {
        try scratch.contents(array + "/.pixelwise-blocks").filter { $0.hasPrefix("done-") }
    }

    @Test func sharesEqualOneProcessAndTheStackPath() throws {
        let scratch = try setUp()
        let one = try CLI.run(segment("one.zarr/seg", ["--threads", "1"]), in: scratch.path)
        #expect(one.status == 0, "\(one.transcript)")
        // 4 slices × 2 × 2 blocks of 1×64×48.
        #expect(one.stderr.contains("16 block(s) of 1×64×48 (chunks 1×32×48)"), "\(one.transcript)")
        #expect(try markers(scratch, "one.zarr/seg").count == 16)

        for k in 0..<3 {
            let share = try CLI.run(segment("three.zarr/seg", ["--threads", "1", "--block-range", "\(k)/3"]), in: scratch.path)
            #expect(share.status == 0, "\(share.transcript)")
            #expect(share.stderr.contains("computed \(k == 0 ? 5 : k == 1 ? 5 : 6) block(s)"), "\(share.transcript)")
        }
        let reference = try chunkFiles(scratch, "one.zarr/seg")
        #expect(reference.count == 4 * 3 * 2 + 2)  // chunks + .zarray + .zattrs
        #expect(try chunkFiles(scratch, "three.zarr/seg") == reference)
        #expect(try markers(scratch, "three.zarr/seg").count == 16)

        // The values are those of segmenting the slices as a stack.
        let stack = try CLI.run(["segment", "--model", "model.h5", "raw.tif", "--out", "stack", "--tile", "220", "--threads", "1"], in: scratch.path)
        #expect(stack.status == 0, "\(stack.transcript)")
        let pages = try ImageStack(path: scratch.file("stack/raw.tif")).readAll()
        let volume = try #require(try ChunkedStores.open(scratch.file("one.zarr/seg")))
        #expect(try volume.read(VoxelBox(size: Self.size)) == pages.flatMap(\.pixels))
    }

    /// An HDF5 input is read as every command reads it: a float32 dataset holding 0…255 is 8-bit
    /// data (`VolumeSources`' rule), so its blockwise result is the uint8 store's, byte for byte.
    @Test func anHDF5InputIsReadAsEveryCommandReadsIt() throws {
        let scratch = try setUp()
        let values = try #require(try ChunkedStores.open(scratch.file("raw.zarr/raw"))).read(VoxelBox(size: Self.size))
        let file = try HDF5File(creating: scratch.file("raw.h5"))
        try file.write(values, shape: Self.size, at: "/volumes/raw")
        file.close()
        let fromStore = try CLI.run(segment("store.zarr/seg", ["--threads", "1"]), in: scratch.path)
        var args = segment("h5.zarr/seg", ["--threads", "1"])
        args[args.firstIndex(of: "raw.zarr/raw")!] = "raw.h5:/volumes/raw"
        let fromHDF5 = try CLI.run(args, in: scratch.path)
        #expect(fromStore.status == 0 && fromHDF5.status == 0, "\(fromStore.transcript)\n\(fromHDF5.transcript)")
        #expect(try chunkFiles(scratch, "h5.zarr/seg") == chunkFiles(scratch, "store.zarr/seg"))
    }

    @Test(.enabled(if: mpirunWorks, "mpirun (Open MPI) cannot start processes here"))
    func twoMPIProcessesEqualOne() throws {
        let scratch = try setUp()
        let one = try CLI.run(segment("one.zarr/seg", ["--threads", "1"]), in: scratch.path)
        #expect(one.status == 0, "\(one.transcript)")
        let two = try CLI.runUnderMPI(processes: 2, segment("two.zarr/seg"), in: scratch.path)
        #expect(two.status == 0, "\(two.transcript)")
        #expect(two.stderr.contains("2 processes"), "\(two.transcript)")
        // Every block computed once, by one process or the other.
        let computed = two.stderrLines.compactMap { line -> Int? in
            guard let range = line.range(of: "computed ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(computed.count == 2 && computed.reduce(0, +) == 16, "\(two.transcript)")
        #expect(try chunkFiles(scratch, "two.zarr/seg") == chunkFiles(scratch, "one.zarr/seg"))
    }

    /// Rerunning the same command does nothing more; another computation (another tile) is
    /// refused in one line; --restart does every block again and ends with the other result.
    @Test func aRerunResumesAndAnotherRunIsRefused() throws {
        let scratch = try setUp()
        #expect(try CLI.run(segment("seg.zarr/seg", ["--threads", "1"]), in: scratch.path).status == 0)
        let again = try CLI.run(segment("seg.zarr/seg", ["--threads", "1"]), in: scratch.path)
        #expect(again.status == 0 && again.stderr.contains("computed 0 block(s), skipped 16 already done"), "\(again.transcript)")

        let other = try CLI.run(segment("seg.zarr/seg", ["--threads", "1", "--overlap", "0.25"]), in: scratch.path)
        #expect(other.status != 0)
        #expect(other.stderrLines.filter { $0.hasPrefix("pixelwise: error:") }.count == 1, "\(other.transcript)")
        #expect(other.stderr.contains("seg.zarr/seg: holds blocks of another run (overlap: 0.125 now 0.25)"), "\(other.transcript)")

        let restarted = try CLI.run(segment("seg.zarr/seg", ["--threads", "1", "--overlap", "0.25", "--restart"]), in: scratch.path)
        #expect(restarted.status == 0 && restarted.stderr.contains("computed 16 block(s)"), "\(restarted.transcript)")
        let fresh = try CLI.run(segment("fresh.zarr/seg", ["--threads", "1", "--overlap", "0.25"]), in: scratch.path)
        #expect(fresh.status == 0)
        #expect(try chunkFiles(scratch, "seg.zarr/seg") == chunkFiles(scratch, "fresh.zarr/seg"))
    }
}
