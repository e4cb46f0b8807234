import Foundation
import PixelwiseCore
import PixelwiseIO

/// A volume in memory posing as a chunked store, for the blockwise tests: it refuses a write
/// that does not cover whole chunks, and records how often each chunk was written (so a test can
/// check that no two blocks share a chunk and that a resumed run writes only the missing ones).
final class ChunkedTestVolume: VolumeReading, VolumeWriting, @unchecked Sendable {
    let name: String
    let geometry: VolumeGeometry
    let chunkSize: [Int]?
    private let lock = NSLock()
    private var storage: [Float]
    private(set) var chunkWrites: [[Int]: Int] = [:]

    init(name: String = "test-volume", geometry: VolumeGeometry, values: [Float]? = nil, chunkSize: [Int]? = nil) {
        self.name = name
        self.geometry = geometry
        self.chunkSize = chunkSize
        storage = values ?? [Float](repeating: 0, count: geometry.channels * geometry.voxels)
    }

    var values: [Float] { lock.withLock { storage } }

    func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else { throw PixelwiseError.invalidArgument("\(name): read outside: \(box)") }
        return lock.withLock {
            var out = [Float](repeating: 0, count: geometry.channels * box.voxels)
            copy(box) { v, b, n in for i in 0..<n { out[b + i] = storage[v + i] } }
            return out
        }
    }

    func write(_ values: [Float], at box: VoxelBox) throws {
        guard box.isInside(geometry.size), values.count == geometry.channels * box.voxels else {
            throw PixelwiseError.invalidArgument("\(name): bad write \(box)")
        }
        if let chunkSize {
            for a in 0..<3 where box.origin[a] % chunkSize[a] != 0 || (box.end[a] % chunkSize[a] != 0 && box.end[a] != geometry.size[a]) {
                throw PixelwiseError.invalidArgument("\(name): write \(box) does not cover whole chunks")
            }
        }
        lock.withLock {
            copy(box) { v, b, n in for i in 0..<n { storage[v + i] = values[b + i] } }
            if let chunkSize {
                let lo = (0..<3).map { box.origin[$0] / chunkSize[$0] }, hi = (0..<3).map { (box.end[$0] + chunkSize[$0] - 1) / chunkSize[$0] }
                for z in lo[0]..<hi[0] { for y in lo[1]..<hi[1] { for x in lo[2]..<hi[2] { chunkWrites[[z, y, x], default: 0] += 1 } } }
            }
        }
    }

    func finish() throws {}

    private func copy(_ box: VoxelBox, _ row: (Int, Int, Int) -> Void) {
        let s = geometry.size
        for c in 0..<geometry.channels {
            for z in 0..<box.size[0] {
                for y in 0..<box.size[1] {
                    row(((c * s[0] + box.origin[0] + z) * s[1] + box.origin[1] + y) * s[2] + box.origin[2],
                        ((c * box.size[0] + z) * box.size[1] + y) * box.size[2], box.size[2])
                }
            }
        }
    }
}
