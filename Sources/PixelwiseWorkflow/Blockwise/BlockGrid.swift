import PixelwiseCore
import PixelwiseIO

/// The output volume cut into blocks, the unit of work of blockwise segmentation: a block is a
/// whole number of the output's chunks along each axis (clipped at the volume's end, where the
/// chunk grid ends too), so two blocks never share a chunk and any number of processes can
/// write blocks side by side. Blocks are numbered in raster order along (z, y, x), x fastest.
public struct BlockGrid: Sendable, Equatable {
    /// The volume's size along (z, y, x).
    public let volumeSize: [Int]
    /// The block's size along (z, y, x): a multiple of `chunkSize` (the last block along an axis
    /// may be smaller, clipped at the volume's end).
    public let blockSize: [Int]
    /// The output's chunks, or nil when its format has none.
    public let chunkSize: [Int]?

    /// The blocks along each axis.
    public var counts: [Int] { zip(volumeSize, blockSize).map { ($0 + $1 - 1) / $1 } }
    /// How many blocks the volume has.
    public var count: Int { counts.reduce(1, *) }

    /// - Parameters:
    ///   - requested: the block size along (z, y, x), rounded up to whole chunks; nil: the
    ///     smallest whole number of chunks reaching `preferred` along each axis.
    ///   - preferred: the default block (clipped to the volume).
    public init(volumeSize: [Int], chunkSize: [Int]?, requested: [Int]? = nil, preferred: [Int] = [64, 512, 512]) throws {
        precondition(volumeSize.count == 3 && volumeSize.allSatisfy { $0 > 0 }, "BlockGrid: volumeSize is (z, y, x)")
        if let requested, requested.count != 3 || requested.contains(where: { $0 <= 0 }) {
            throw PixelwiseError.invalidArgument("a block size is three positive numbers along z, y, x (e.g. 64,512,512)")
        }
        let chunk = chunkSize ?? [1, 1, 1]
        let target = requested ?? preferred
        self.volumeSize = volumeSize
        self.chunkSize = chunkSize
        blockSize = (0..<3).map { a in
            let wanted = min(max(target[a], 1), volumeSize[a])
            return min((wanted + chunk[a] - 1) / chunk[a] * chunk[a], (volumeSize[a] + chunk[a] - 1) / chunk[a] * chunk[a])
        }
    }

    /// Block `index`'s box (inside the volume).
    public func box(_ index: Int) -> VoxelBox {
        precondition((0..<count).contains(index), "BlockGrid: no block \(index) of \(count)")
        let c = counts
        let position = [index / (c[1] * c[2]), index / c[2] % c[1], index % c[2]]
        let origin = (0..<3).map { position[$0] * blockSize[$0] }
        return VoxelBox(origin: origin, size: (0..<3).map { min(blockSize[$0], volumeSize[$0] - origin[$0]) })
    }

    /// The blocks of share `share` of `shares` (`--block-range K/N`): a contiguous run of block
    /// numbers; the N shares cover every block exactly once and differ in size by at most one.
    public func share(_ share: Int, of shares: Int) -> Range<Int> {
        precondition(shares > 0 && (0..<shares).contains(share), "BlockGrid: share \(share) of \(shares)")
        return count * share / shares ..< count * (share + 1) / shares
    }
}
