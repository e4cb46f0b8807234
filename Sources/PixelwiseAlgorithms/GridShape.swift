/// The extent of a row-major image or volume: element (x, y, z) sits at `x + width·(y + height·z)`.
///
/// Every function in this module takes plain arrays plus `width`, `height` and (for volumes)
/// `depth`; a 2-D image is simply a volume with `depth == 1`.
public struct GridShape: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public var depth: Int

    public init(width: Int, height: Int, depth: Int = 1) {
        precondition(width >= 0 && height >= 0 && depth >= 0, "negative extent \(width)×\(height)×\(depth)")
        self.width = width
        self.height = height
        self.depth = depth
    }

    /// Number of elements, width·height·depth.
    public var count: Int { width * height * depth }

    /// 2 for images (depth 1), 3 for volumes: the number of neighbour axes (x, y[, z]).
    public var axisCount: Int { depth > 1 ? 3 : 2 }

    /// Extent along `axis` (0 = x, 1 = y, 2 = z).
    public func extent(_ axis: Int) -> Int { axis == 0 ? width : axis == 1 ? height : depth }

    /// Distance in the flat array between neighbours along `axis`.
    public func stride(_ axis: Int) -> Int { axis == 0 ? 1 : axis == 1 ? width : width * height }

    /// The coordinate of flat index `index` along `axis`.
    @inline(__always)
    public func coordinate(of index: Int, axis: Int) -> Int {
        axis == 0 ? index % width : axis == 1 ? (index / width) % height : index / (width * height)
    }

    public var description: String { depth == 1 ? "\(width)×\(height)" : "\(width)×\(height)×\(depth)" }

    func check<T>(_ values: [T], _ name: String) {
        precondition(values.count == count, "\(name) has \(values.count) elements, expected \(description) = \(count)")
    }
}
