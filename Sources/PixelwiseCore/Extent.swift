/// Splits a shape of rank 4 or 5 into (N, C, D, H, W) with D = 1 for images, so that the plain
/// Swift kernels (training layers and inference steps alike) handle 2-D and 3-D with one loop nest.
public struct Extent: Sendable, Equatable {
    public let n, c, d, h, w: Int

    public init(_ s: Shape) {
        n = s[0]; c = s[1]
        if s.rank == 5 { d = s[2]; h = s[3]; w = s[4] } else { d = 1; h = s[2]; w = s[3] }
    }

    public var pixels: Int { d * h * w }
}
