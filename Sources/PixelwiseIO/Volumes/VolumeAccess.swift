/// Block-wise access to volumes, the one interface that 3-D training and segmentation, chunked
/// stores (zarr, N5, chunked HDF5) and blockwise segmentation share, so that memory stays flat in
/// the size of the volume: nothing reads or writes more than one box at a time.
///
/// Axes are always (z, y, x), z the slowest; a 2-D image is a volume of depth 1.

/// A box of voxels: where it starts and how large it is, along (z, y, x).
public struct VoxelBox: Sendable, Hashable, CustomStringConvertible {
    public var origin: [Int]
    public var size: [Int]

    public init(origin: [Int], size: [Int]) {
        precondition(origin.count == 3 && size.count == 3, "VoxelBox: origin and size are (z, y, x)")
        self.origin = origin
        self.size = size
    }

    /// The whole of a volume of `size`.
    public init(size: [Int]) { self.init(origin: [0, 0, 0], size: size) }

    public var voxels: Int { size.reduce(1, *) }
    /// One past the last voxel along each axis.
    public var end: [Int] { zip(origin, size).map { $0 + $1 } }

    /// Whether the box lies inside a volume of `size` (and is not empty).
    public func isInside(_ volumeSize: [Int]) -> Bool {
        (0..<3).allSatisfy { origin[$0] >= 0 && size[$0] > 0 && origin[$0] + size[$0] <= volumeSize[$0] }
    }

    /// The part of this box inside `other`, or nil when they do not overlap.
    public func intersection(_ other: VoxelBox) -> VoxelBox? {
        let lo = zip(origin, other.origin).map { max($0, $1) }
        let hi = zip(end, other.end).map { min($0, $1) }
        guard (0..<3).allSatisfy({ lo[$0] < hi[$0] }) else { return nil }
        return VoxelBox(origin: lo, size: zip(hi, lo).map { $0 - $1 })
    }

    public var description: String {
        "z \(origin[0])..<\(end[0]), y \(origin[1])..<\(end[1]), x \(origin[2])..<\(end[2])"
    }
}

/// What a volume is: channels, size along (z, y, x), the physical voxel spacing along (z, y, x)
/// (1 where the file says nothing) and the sample type its values were stored as.
public struct VolumeGeometry: Sendable, Equatable {
    public var channels: Int
    public var size: [Int]
    public var spacing: [Double]
    public var sampleType: SampleType

    public init(channels: Int, size: [Int], spacing: [Double] = [1, 1, 1], sampleType: SampleType) {
        precondition(size.count == 3 && spacing.count == 3, "VolumeGeometry: size and spacing are (z, y, x)")
        self.channels = channels
        self.size = size
        self.spacing = spacing
        self.sampleType = sampleType
    }

    public var voxels: Int { size.reduce(1, *) }
}

/// A volume read a box at a time. Values are the file's own (as `Image` keeps them: 0…255 for
/// `.uint8`, …), channel-major: the value of channel c at (z, y, x) of the box is at
/// `((c · size.z + z) · size.y + y) · size.x + x`.
public protocol VolumeReading: Sendable {
    /// What errors name: the file, and the dataset inside it where there is one.
    var name: String { get }
    var geometry: VolumeGeometry { get }
    /// The box's values; the box must lie inside the volume (`VoxelBox.isInside`). Throws
    /// `PixelwiseError.file` naming the file (and the chunk) when the data cannot be read.
    func read(_ box: VoxelBox) throws -> [Float]
}

/// A volume written a box at a time. Writers whose format has chunks say so in `chunkSize`:
/// writes of boxes aligned with the chunk grid never share a chunk, so several writers (threads,
/// processes) can fill one volume. `finish()` makes the result visible (atomically where the
/// format is one file); a writer dropped without `finish()` leaves no partial output.
public protocol VolumeWriting: AnyObject {
    var name: String { get }
    var geometry: VolumeGeometry { get }
    /// The chunk grid along (z, y, x), or nil when the format has none.
    var chunkSize: [Int]? { get }
    /// Writes `values` (channel-major like `VolumeReading.read`) into `box`.
    func write(_ values: [Float], at box: VoxelBox) throws
    func finish() throws
}
