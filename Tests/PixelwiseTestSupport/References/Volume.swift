/// Index arithmetic for the references: every 2-D shape (N, C, H, W) is treated as the 3-D shape
/// (N, C, 1, H, W), and 2-entry hyper-parameters get a leading 1 (kernel, stride, dilation) or 0
/// (padding), so one plain loop nest covers images and volumes.
public struct Volume {
    public let n, c, d, h, w: Int

    public init(_ shape: [Int]) {
        precondition(shape.count == 4 || shape.count == 5, "reference shapes are (N, C, [D,] H, W), got \(shape)")
        n = shape[0]; c = shape[1]
        if shape.count == 5 { d = shape[2]; h = shape[3]; w = shape[4] } else { d = 1; h = shape[2]; w = shape[3] }
    }

    public var count: Int { n * c * d * h * w }
    public var spatial: [Int] { [d, h, w] }

    /// Row-major offset of element (n, c, z, y, x).
    public func index(_ n: Int, _ c: Int, _ z: Int, _ y: Int, _ x: Int) -> Int { (((n * self.c + c) * d + z) * h + y) * w + x }

    public func contains(_ z: Int, _ y: Int, _ x: Int) -> Bool { z >= 0 && z < d && y >= 0 && y < h && x >= 0 && x < w }
}

/// A 2- or 3-entry per-axis value as 3 entries (D, H, W).
public func axes3(_ v: [Int], fill: Int) -> [Int] { v.count == 3 ? v : [fill] + v }

/// (N, C) followed by 3 spatial extents, cut back to 2 when the input was 2-D.
public func shape(n: Int, c: Int, spatial: [Int], rank: Int) -> [Int] { [n, c] + (rank == 5 ? spatial : Array(spatial.suffix(2))) }
