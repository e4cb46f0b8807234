import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseIO

/// zarr chunk I/O per codec: a uint8 EM-like volume (smooth cells, membranes, noise) written
/// chunk by chunk into a zarr v2 array (each chunk encoded, written to a temporary file, fsync'ed
/// and renamed) and read back box by box, with the bytes it takes on disk. Compare the voxel
/// rates with a segmentation's (`pixelwise bench`): chunk I/O should be far from the bottleneck.
struct ChunkedStoreBenchmark: BenchmarkCommand {
    static let configuration = CommandConfiguration(commandName: "chunked", abstract: "Time zarr chunk writes and reads per codec.")
    @OptionGroup var common: Common
    @Option(help: "Volume size z,y,x.")
    var size: String = "32,512,512"
    @Option(help: "Chunk size z,y,x.")
    var chunk: String = "32,128,128"
    @Option(help: "Folder for the temporary stores (removed afterwards).")
    var folder: String = NSTemporaryDirectory()

    func run() throws {
        common.apply()
        let extent = size.split(separator: ",").compactMap { Int($0) }, chunkSize = chunk.split(separator: ",").compactMap { Int($0) }
        guard extent.count == 3, chunkSize.count == 3 else { throw ValidationError("--size and --chunk are z,y,x") }
        var rng = SeededGenerator(seed: 7)
        let plane = extent[1] * extent[2]
        let volume: [Float] = (0..<extent[0] * plane).map { i in
            let x = i % extent[2], y = i / extent[2] % extent[1]
            let membrane = x % 41 < 2 || y % 37 < 2
            return max(0, min(255, (membrane ? 60 : 170) + Float(x % 41 + y % 37) + Float.random(in: -12...12, using: &rng))).rounded()
        }
        let boxes = stride(from: 0, to: extent[0], by: chunkSize[0]).flatMap { z in
            stride(from: 0, to: extent[1], by: chunkSize[1]).flatMap { y in
                stride(from: 0, to: extent[2], by: chunkSize[2]).map { x in
                    VoxelBox(origin: [z, y, x], size: [min(chunkSize[0], extent[0] - z), min(chunkSize[1], extent[1] - y), min(chunkSize[2], extent[2] - x)])
                }
            }
        }
        let parts = boxes.map { box -> [Float] in
            var out: [Float] = []
            out.reserveCapacity(box.voxels)
            for z in box.origin[0]..<box.end[0] {
                for y in box.origin[1]..<box.end[1] {
                    let row = (z * extent[1] + y) * extent[2]
                    out += volume[(row + box.origin[2])..<(row + box.end[2])]
                }
            }
            return out
        }
        let codecs: [ChunkCodec] = [.raw, .gzip(level: 6), .zstd(level: 3), .blosc(.init()), .blosc(.init(compressor: "zstd", level: 3))]
        let megavoxels = Double(volume.count) / 1e6
        print("zarr v2, uint8 \(extent.map(String.init).joined(separator: "×")) in chunks of \(chunkSize.map(String.init).joined(separator: "×")) (\(boxes.count) chunks), median of \(common.repetitions):")
        for codec in codecs {
            let path = folder + "/pixelwise-benchmark-\(getpid()).zarr"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let geometry = VolumeGeometry(channels: 1, size: extent, sampleType: .uint8)
            let write = try common.median {
                try? FileManager.default.removeItem(atPath: path)
                let writer = try ChunkedStores.create(path: path + "/a", geometry: geometry, chunkSize: chunkSize, codec: codec)
                for (box, values) in zip(boxes, parts) { try writer.write(values, at: box) }
            }
            let reader = try ChunkedStores.open(path + "/a")!
            var same = true
            let read = try common.median {
                for (box, values) in zip(boxes, parts) { same = try reader.read(box) == values && same }
            }
            guard same else { throw ValidationError("\(codec): the values read back differ from those written") }
            let stored = (FileManager.default.enumerator(atPath: path + "/a")?.compactMap { $0 as? String } ?? [])
                .compactMap { try? FileManager.default.attributesOfItem(atPath: path + "/a/" + $0)[.size] as? Int }.reduce(0, +)
            print("  " + codec.description.padding(toLength: 34, withPad: " ", startingAt: 0)
                + String(format: " write %7.1f Mvoxels/s, read %7.1f Mvoxels/s, on disk %5.1f%% of raw",
                         megavoxels / write, megavoxels / read, 100 * Double(stored) / Double(volume.count)))
        }
    }
}
