/// The extents of a tensor, outermost first: (N, C, H, W) for images, (N, C, D, H, W) for volumes.
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible, Codable {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public var rank: Int { dims.count }
    /// Number of elements.
    public var count: Int { dims.reduce(1, *) }
    public subscript(axis: Int) -> Int {
        get { dims[axis] }
        set { dims[axis] = newValue }
    }

    /// For rank ≥ 3: the spatial extents (H, W) or (D, H, W).
    public var spatial: [Int] { Array(dims.dropFirst(2)) }
    public var batch: Int { dims[0] }
    public var channels: Int { dims[1] }

    /// `[1,64,388,388]`, the form every error message uses.
    public var description: String { "[" + dims.map(String.init).joined(separator: ",") + "]" }

    /// Row-major strides (the innermost axis has stride 1).
    public var rowMajorStrides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var s = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = s
            s *= dims[axis]
        }
        return strides
    }

    public init(from decoder: Decoder) throws { dims = try [Int](from: decoder) }
    public func encode(to encoder: Encoder) throws { try dims.encode(to: encoder) }
}
