/// The eight symmetries of the square: rotation by multiples of 90° and mirroring. They map the
/// pixel grid onto itself, so unlike arbitrary angles they neither interpolate (no label
/// aliasing) nor cut corners (Tschopp §4.2).
extension Plane {
    /// Rotated counter-clockwise (as displayed, y down) by `quarterTurns` × 90°.
    /// Output (x', y') = input (W−1−y', x') for one turn; width and height swap for odd turns.
    public func rotated(quarterTurns: Int) -> Plane<T> {
        let k = ((quarterTurns % 4) + 4) % 4
        if k == 0 { return self }
        let w = width, h = height
        let ow = k == 2 ? w : h, oh = k == 2 ? h : w
        var out = [T]()
        out.reserveCapacity(w * h)
        values.withUnsafeBufferPointer { src in
            for y in 0..<oh {
                for x in 0..<ow {
                    switch k {
                    case 1: out.append(src[x * w + (w - 1 - y)])
                    case 2: out.append(src[(h - 1 - y) * w + (w - 1 - x)])
                    default: out.append(src[(h - 1 - x) * w + y])
                    }
                }
            }
        }
        return Plane(width: ow, height: oh, values: out)
    }

    /// Mirrored left–right (x → W−1−x).
    public func flippedHorizontally() -> Plane<T> {
        var out = values
        for y in 0..<height {
            let row = y * width
            for x in 0..<width { out[row + x] = values[row + width - 1 - x] }
        }
        return Plane(width: width, height: height, values: out)
    }

    /// Mirrored top–bottom (y → H−1−y).
    public func flippedVertically() -> Plane<T> {
        var out = [T]()
        out.reserveCapacity(values.count)
        for y in (0..<height).reversed() { out.append(contentsOf: values[y * width ..< (y + 1) * width]) }
        return Plane(width: width, height: height, values: out)
    }
}
