#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Separable Gaussian smoothing with mirrored borders.
///
/// Kernel g(t) = exp(−t² / 2σ²) / Z for |t| ≤ r, r = ⌈3σ⌉, Z normalising the taps to sum 1;
/// applied along x, then along y. Cost: 2(2r + 1) multiply-adds per pixel.
public enum GaussianBlur {
    /// The normalised taps g(−r)…g(r).
    public static func kernel(sigma: Float) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var taps = (-r...r).map { t in Float(exp(-Double(t * t) / (2 * Double(sigma * sigma)))) }
        let z = taps.reduce(0, +)
        for i in taps.indices { taps[i] /= z }
        return taps
    }

    /// The plane smoothed by a Gaussian of standard deviation `sigma` pixels (σ ≤ 0: unchanged).
    public static func blurred(_ plane: Plane<Float>, sigma: Float) -> Plane<Float> {
        guard sigma > 0 else { return plane }
        let taps = kernel(sigma: sigma)
        let r = taps.count / 2
        let w = plane.width, h = plane.height
        var tmp = [Float](repeating: 0, count: w * h)
        var out = [Float](repeating: 0, count: w * h)
        plane.values.withUnsafeBufferPointer { src in
            taps.withUnsafeBufferPointer { k in
                tmp.withUnsafeMutableBufferPointer { t in
                    // Along x: interior pixels without index arithmetic, borders by reflection.
                    for y in 0..<h {
                        let row = y * w
                        for x in 0..<w {
                            var s: Float = 0
                            if x >= r && x + r < w {
                                for j in 0..<k.count { s += k[j] * src[row + x - r + j] }
                            } else {
                                for j in 0..<k.count { s += k[j] * src[row + Mirror.reflect(x - r + j, w)] }
                            }
                            t[row + x] = s
                        }
                    }
                }
                out.withUnsafeMutableBufferPointer { o in
                    // Along y: accumulate whole rows so the inner loop is contiguous.
                    for y in 0..<h {
                        let dst = y * w
                        for j in 0..<k.count {
                            let srcRow = Mirror.reflect(y - r + j, h) * w
                            let kj = k[j]
                            for x in 0..<w { o[dst + x] += kj * tmp[srcRow + x] }
                        }
                    }
                }
            }
        }
        return Plane(width: w, height: h, values: out)
    }
}
