/// The 95th-percentile Hausdorff distance between two binary masks, as the BraTS challenge
/// reports it (its second metric) and as medpy's `hd95` computes it:
///
/// 1. the *surface* of a mask is the mask minus its erosion by the axis-neighbour (4- or
///    6-connected) cross, with the outside of the image counting as background — so mask pixels on
///    the image border are surface pixels (scipy's `binary_erosion` default, `border_value=0`);
/// 2. for every surface pixel of A, the Euclidean distance, in physical units (`spacing` per axis,
///    x first), to the nearest surface pixel of B; and for every surface pixel of B, to A;
/// 3. HD95 = the 95th percentile of both lists joined, by linear interpolation between order
///    statistics (numpy's default).
///
/// Both masks empty: 0. Exactly one empty: `nil` (undefined; BraTS substitutes a fixed penalty,
/// 373.13 mm in 2021 — the caller decides). The full Hausdorff distance is `percentile: 100`.
/// 2-D images are volumes of depth 1; memory is two distance maps the size of the volume.
public func hausdorffDistance(_ a: [Bool], _ b: [Bool], shape: GridShape, spacing: [Double] = [1, 1, 1],
                              percentile: Double = 95) -> Double? {
    shape.check(a, "mask A")
    shape.check(b, "mask B")
    precondition((0...100).contains(percentile), "hausdorffDistance: percentile \(percentile)")
    let hasA = a.contains(true), hasB = b.contains(true)
    if !hasA && !hasB { return 0 }
    if !hasA || !hasB { return nil }
    let surfaceA = surface(of: a, shape: shape), surfaceB = surface(of: b, shape: shape)
    let toB = distanceToNearest(surfaceB, shape: shape, spacing: spacing)
    let toA = distanceToNearest(surfaceA, shape: shape, spacing: spacing)
    var distances = [Double]()
    for i in 0..<shape.count {
        if surfaceA[i] { distances.append(toB[i]) }
        if surfaceB[i] { distances.append(toA[i]) }
    }
    distances.sort()
    let position = percentile / 100 * Double(distances.count - 1)
    let below = Int(position.rounded(.down)), above = min(below + 1, distances.count - 1)
    return distances[below] + (distances[above] - distances[below]) * (position - Double(below))
}

/// Mask pixels with at least one axis neighbour outside the mask or outside the image.
public func surface(of mask: [Bool], shape: GridShape) -> [Bool] {
    shape.check(mask, "mask")
    var out = [Bool](repeating: false, count: shape.count)
    for i in 0..<shape.count where mask[i] {
        for axis in 0..<shape.axisCount {
            let x = shape.coordinate(of: i, axis: axis), step = shape.stride(axis)
            if x == 0 || x == shape.extent(axis) - 1 || !mask[i - step] || !mask[i + step] {
                out[i] = true
                break
            }
        }
    }
    return out
}

/// Exact Euclidean distance to the nearest `true` pixel with anisotropic spacing, in Double:
/// Felzenszwalb–Huttenlocher's separable lower envelope with parabolas s²(q − v)² + f(v) along an
/// axis of spacing s (`squaredDistanceToNearest` is the unit-spacing Float version).
func distanceToNearest(_ sites: [Bool], shape: GridShape, spacing: [Double]) -> [Double] {
    var map = sites.map { $0 ? 0.0 : Double.infinity }
    let longest = max(shape.width, shape.height, shape.depth)
    var f = [Double](repeating: 0, count: longest), v = [Int](repeating: 0, count: longest)
    var z = [Double](repeating: 0, count: longest + 1)
    for axis in 0..<3 where shape.extent(axis) > 1 {
        let n = shape.extent(axis), step = shape.stride(axis), s2 = spacing[axis] * spacing[axis]
        for line in 0..<shape.count / n {
            let start = switch axis {
            case 0: line * shape.width
            case 1: (line / shape.width) * shape.width * shape.height + line % shape.width
            default: line
            }
            for q in 0..<n { f[q] = map[start + q * step] }
            var k = -1
            for q in 0..<n where f[q].isFinite {
                while k >= 0 {
                    let p = v[k]
                    let boundary = ((f[q] + s2 * Double(q * q)) - (f[p] + s2 * Double(p * p))) / (2 * s2 * Double(q - p))
                    if boundary <= z[k] { k -= 1 } else {
                        k += 1
                        v[k] = q
                        z[k] = boundary
                        break
                    }
                }
                if k < 0 {
                    k = 0
                    v[0] = q
                    z[0] = -.infinity
                }
            }
            guard k >= 0 else { continue }  // no sites on this line: stays +∞
            z[k + 1] = .infinity
            var j = 0
            for q in 0..<n {
                while z[j + 1] < Double(q) { j += 1 }
                let d = Double(q - v[j])
                map[start + q * step] = s2 * d * d + f[v[j]]
            }
        }
    }
    return map.map { $0.squareRoot() }
}
