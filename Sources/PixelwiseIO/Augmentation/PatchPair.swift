/// A raw patch and its labels, the unit augmentation works on.
///
/// `raw` has one plane per channel; `labels` normally has the same size as the raw planes
/// (the whole input region, so geometric transforms move raw and labels together), and is
/// cropped to the network's output size afterwards with `centreCroppedLabels`.
public struct PatchPair: Sendable, Equatable {
    public var raw: [Plane<Float>]
    public var labels: Plane<Int32>

    public init(raw: [Plane<Float>], labels: Plane<Int32>) {
        self.raw = raw
        self.labels = labels
    }

    public var width: Int { raw.first?.width ?? labels.width }
    public var height: Int { raw.first?.height ?? labels.height }

    /// Applies a geometric transform to every raw plane and to the labels.
    public mutating func transformAll(_ raw: (Plane<Float>) -> Plane<Float>, _ labels: (Plane<Int32>) -> Plane<Int32>) {
        self.raw = self.raw.map(raw)
        self.labels = labels(self.labels)
    }
}

extension Plane {
    /// The centred `width` × `height` region (the output region of a valid network).
    public func centreCropped(width w: Int, height h: Int) -> Plane<T> {
        precondition(w <= width && h <= height && (width - w) % 2 == 0 && (height - h) % 2 == 0,
                     "centre crop \(width)×\(height) → \(w)×\(h)")
        let x0 = (width - w) / 2, y0 = (height - h) / 2
        var out = [T]()
        out.reserveCapacity(w * h)
        for y in 0..<h { out.append(contentsOf: values[(y0 + y) * width + x0 ..< (y0 + y) * width + x0 + w]) }
        return Plane(width: w, height: h, values: out)
    }
}
