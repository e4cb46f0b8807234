import Foundation
import PixelwiseCore

/// A volume held in memory, read and written a box at a time: the `VolumeReading` and
/// `VolumeWriting` that tests, small volumes and in-process pipelines use (segmenting into one and
/// then handing it to the evaluation, for example).
///
/// Values are channel-major like every volume: channel c at (z, y, x) is at
/// `((c · size.z + z) · size.y + y) · size.x + x`. Reads and writes are safe from several threads
/// at once (one lock around the storage); a box written is visible to reads at once, `finish()`
/// only records that the writer finished (`isFinished`), since there is no file to make visible.
/// `chunkSize` is whatever the creator gives (nil by default), so tests can pose as a chunked store.
public final class InMemoryVolume: VolumeReading, VolumeWriting, @unchecked Sendable {
    public let name: String
    public let geometry: VolumeGeometry
    public let chunkSize: [Int]?
    private let lock = NSLock()
    private var storage: [Float]
    private var finished = false
    private var writes = 0

    /// A volume of zeros.
    public init(name: String = "memory", geometry: VolumeGeometry, chunkSize: [Int]? = nil) {
        precondition(chunkSize == nil || chunkSize!.count == 3 && chunkSize!.allSatisfy { $0 > 0 }, "InMemoryVolume: chunkSize is (z, y, x), each > 0")
        self.name = name
        self.geometry = geometry
        self.chunkSize = chunkSize
        storage = [Float](repeating: 0, count: geometry.channels * geometry.voxels)
    }

    /// A volume holding `values` (channel-major, `geometry.channels · geometry.voxels` of them).
    public convenience init(name: String = "memory", geometry: VolumeGeometry, values: [Float], chunkSize: [Int]? = nil) throws {
        guard values.count == geometry.channels * geometry.voxels else {
            throw PixelwiseError.shapeMismatch("\(name): \(values.count) values for \(geometry.channels) channel(s) of \(geometry.size.map(String.init).joined(separator: "×")) voxels")
        }
        self.init(name: name, geometry: geometry, chunkSize: chunkSize)
        storage = values
    }

    /// Every value, channel-major.
    public var values: [Float] { lock.withLock { storage } }
    /// Whether `finish()` was called.
    public var isFinished: Bool { lock.withLock { finished } }
    /// How many `write` calls the volume received (tests check how a writer was driven).
    public var writeCount: Int { lock.withLock { writes } }

    public func read(_ box: VoxelBox) throws -> [Float] {
        try check(box)
        return lock.withLock {
            var out = [Float](repeating: 0, count: geometry.channels * box.voxels)
            copy(box) { volume, boxIndex, n in
                for i in 0..<n { out[boxIndex + i] = storage[volume + i] }
            }
            return out
        }
    }

    public func write(_ values: [Float], at box: VoxelBox) throws {
        try check(box)
        guard values.count == geometry.channels * box.voxels else {
            throw PixelwiseError.shapeMismatch("\(name): \(values.count) values written into \(box) (\(geometry.channels) channel(s) × \(box.voxels) voxels)")
        }
        lock.withLock {
            copy(box) { volume, boxIndex, n in
                for i in 0..<n { storage[volume + i] = values[boxIndex + i] }
            }
            writes += 1
        }
    }

    public func finish() throws { lock.withLock { finished = true } }

    private func check(_ box: VoxelBox) throws {
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("\(name): box \(box) is not inside the volume (\(geometry.size.map(String.init).joined(separator: "×")))")
        }
    }

    /// Calls `row(volume index, box index, count)` for every x-row of the box in every channel.
    private func copy(_ box: VoxelBox, _ row: (Int, Int, Int) -> Void) {
        let s = geometry.size
        for c in 0..<geometry.channels {
            for z in 0..<box.size[0] {
                for y in 0..<box.size[1] {
                    let v = ((c * s[0] + box.origin[0] + z) * s[1] + box.origin[1] + y) * s[2] + box.origin[2]
                    let b = ((c * box.size[0] + z) * box.size[1] + y) * box.size[2]
                    row(v, b, box.size[2])
                }
            }
        }
    }
}
