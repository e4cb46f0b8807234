/// Border mirroring: the context a valid network needs beyond an image's edge is made up by
/// reflecting the image at its border (Tschopp §1.3), without repeating the edge pixel — numpy's
/// `mode="reflect"`: for n = 5, indices −3…7 read 3 2 1 | 0 1 2 3 4 | 3 2 1.
public enum Mirror {
    /// The source index for any integer index on an axis of length n ≥ 1. Reflection repeats
    /// with period 2(n − 1), so a context larger than the image is filled by repeated reflection.
    @inline(__always)
    public static func reflect(_ i: Int, _ n: Int) -> Int {
        if i >= 0 && i < n { return i }
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var m = i % period
        if m < 0 { m += period }
        return m < n ? m : period - m
    }

    /// The region [x0, x0 + width) × [y0, y0 + height) of a row-major plane of `planeWidth` ×
    /// `planeHeight` elements, reading outside the plane by reflection. Result is row-major.
    public static func crop<T>(_ plane: UnsafeBufferPointer<T>, planeWidth: Int, planeHeight: Int,
                               x0: Int, y0: Int, width: Int, height: Int, stride: Int = 1, offset: Int = 0,
                               into out: UnsafeMutableBufferPointer<T>) {
        // Column sources are the same for every row: compute once.
        let columns = (0..<width).map { reflect(x0 + $0, planeWidth) }
        for y in 0..<height {
            let row = reflect(y0 + y, planeHeight) * planeWidth
            let dst = y * width
            for x in 0..<width { out[dst + x] = plane[(row + columns[x]) * stride + offset] }
        }
    }
}

/// A 2-D plane of values, row-major: element (x, y) at `values[y * width + x]`. The working form
/// of patches (one plane per channel) in sampling and augmentation.
public struct Plane<T: Sendable>: Sendable {
    public var width: Int
    public var height: Int
    public var values: [T]

    public init(width: Int, height: Int, values: [T]) {
        precondition(values.count == width * height, "Plane: \(values.count) values for \(width)×\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x: Int, y: Int) -> T {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }
}

extension Plane: Equatable where T: Equatable {}

extension Sample {
    /// Raw channel `channel` over [x0, x0+width) × [y0, y0+height), mirrored outside the image.
    public func mirroredRaw(channel: Int, x0: Int, y0: Int, width: Int, height: Int) -> Plane<Float> {
        var out = [Float](repeating: 0, count: width * height)
        raw.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Mirror.crop(src, planeWidth: self.width, planeHeight: self.height, x0: x0, y0: y0,
                            width: width, height: height, stride: raw.channels, offset: channel, into: dst)
            }
        }
        return Plane(width: width, height: height, values: out)
    }

    /// Labels over [x0, x0+width) × [y0, y0+height), mirrored outside the image.
    public func mirroredLabels(x0: Int, y0: Int, width: Int, height: Int) -> Plane<Int32> {
        var out = [Int32](repeating: 0, count: width * height)
        labels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Mirror.crop(src, planeWidth: self.width, planeHeight: self.height, x0: x0, y0: y0,
                            width: width, height: height, into: dst)
            }
        }
        return Plane(width: width, height: height, values: out)
    }
}
