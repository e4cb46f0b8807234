import PixelwiseCore

/// Group normalisation on the CPU (our own loops; oneDNN 2.6 has no group or instance norm):
/// the C channels of a sample split into G groups of C/G; each (sample, group) is normalised
/// by its own mean and biased variance over its C/G channels and all spatial positions, then
/// scaled and shifted per channel:
///
///   y = γ_c·(x − μ_ng)·r_ng + β_c,   r_ng = 1/√(σ²_ng + ε).
///
/// G = C is instance normalisation, G = 1 layer normalisation over (C, [D,] H, W). Works on
/// (N, C, [D,] H, W) tensors in either layout.
///
/// Every pass walks contiguous memory: the work splits into (sample, block of 2048 positions)
/// pieces spread over `parallelFor`; for `.rowMajor` a piece runs along each channel's
/// positions, for `.channelsLast` along each position's channels. Per-channel partial sums
/// (float within a piece, double across pieces) are then combined per group. The statistics
/// pass reads x once, summing x − K and (x − K)² with K the group's first value, so the
/// variance does not cancel for data far from zero.
public enum GroupNormKernel {
    /// Per (sample, group), row-major (N, G): what the backward pass needs from the forward.
    public struct Statistics: Sendable, Equatable {
        public var mean: [Float]
        /// 1/√(σ² + ε).
        public var inverseDeviation: [Float]
    }

    /// The piece of work one thread takes: a sample and a block of spatial positions.
    static let blockPositions = 2048

    /// Sizes of an (N, C, S) view of the tensor.
    struct Geometry {
        let n: Int, c: Int, s: Int, groups: Int, channelsLast: Bool
        var perGroup: Int { c / groups }
        var blocks: Int { (s + GroupNormKernel.blockPositions - 1) / GroupNormKernel.blockPositions }
        /// Index of element (sample, channel, position).
        func index(_ b: Int, _ ch: Int, _ p: Int) -> Int { channelsLast ? (b * s + p) * c + ch : (b * c + ch) * s + p }
        func positions(_ block: Int) -> Range<Int> { block * GroupNormKernel.blockPositions..<min(s, (block + 1) * GroupNormKernel.blockPositions) }

        init(_ shape: Shape, layout: Layout, groups: Int) {
            precondition(shape.rank >= 3, "group norm needs (N, C, [D,] H, W), got \(shape)")
            precondition(groups > 0 && shape[1] % groups == 0, "group norm: \(groups) groups do not divide \(shape[1]) channels")
            n = shape[0]; c = shape[1]; s = shape.spatial.reduce(1, *)
            self.groups = groups
            channelsLast = layout == .channelsLast && c > 1
        }
    }

    /// y = γ_c·(x − μ_ng)·r_ng + β_c; `weight` and `bias` of shape (C), nil for γ = 1, β = 0.
    public static func forward(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float) -> (output: Tensor, statistics: Statistics) {
        let g = Geometry(x.shape, layout: x.layout, groups: groups)
        let y = Tensor(uninitialized: x.shape, layout: x.layout)
        let gamma = weight?.scalars ?? [Float](repeating: 1, count: g.c), beta = bias?.scalars ?? [Float](repeating: 0, count: g.c)
        let stats = x.withUnsafeBufferPointer { xs in
            forward(xs.baseAddress!, into: y.storage.pointer, g, gamma: gamma, beta: beta, epsilon: epsilon)
        }
        return (y, stats)
    }

    /// The same on raw memory (for an inference step writing into its arena).
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: Geometry,
                        gamma: [Float], beta: [Float], epsilon: Float) -> Statistics {
        // Shift K per (sample, group): its first value, repeated per channel.
        let shift = (0..<g.n * g.c).map { i in x[g.index(i / g.c, (i % g.c) / g.perGroup * g.perGroup, 0)] }
        let sums = pairSums(g, x, shift, x, shift)
        var mean = [Float](repeating: 0, count: g.n * g.groups), inverse = mean
        let count = Double(g.perGroup * g.s)
        for b in 0..<g.n {
            for k in 0..<g.groups {
                var s1 = 0.0, s2 = 0.0
                for ch in k * g.perGroup..<(k + 1) * g.perGroup { s1 += sums.first[b * g.c + ch]; s2 += sums.second[b * g.c + ch] }
                let m = s1 / count
                let variance = max(0, s2 / count - m * m)
                mean[b * g.groups + k] = Float(Double(shift[b * g.c + k * g.perGroup]) + m)
                inverse[b * g.groups + k] = Float(1 / (variance + Double(epsilon)).squareRoot())
            }
        }
        // y = (x − μ)·a_c + β_c with a_c = γ_c·r.
        var mu = [Float](repeating: 0, count: g.n * g.c), a = mu, t = mu
        for i in 0..<g.n * g.c {
            let b = i / g.c, ch = i % g.c, k = b * g.groups + ch / g.perGroup
            mu[i] = mean[k]
            a[i] = gamma[ch] * inverse[k]
            t[i] = beta[ch]
        }
        affine(g, x, mu, a, t, dy: nil, p: nil, into: y)
        return Statistics(mean: mean, inverseDeviation: inverse)
    }

    /// dL/dx (if asked), dL/dγ, dL/dβ, from the forward's statistics. Per (n, g) with M = (C/G)·S
    /// values, x̂ = (x − μ)·r and dx̂ = γ_c·dy:
    ///
    ///   dL/dβ_c = Σ_{n,s} dy,   dL/dγ_c = Σ_{n,s} dy·x̂,
    ///   dL/dx = r·(dx̂ − mean_g(dx̂) − x̂·mean_g(dx̂·x̂))
    ///         = dy·(r·γ_c) + (x − μ)·(−r²·m₂) − r·m₁,   m₁ = mean_g(dx̂), m₂ = mean_g(dx̂·x̂).
    public static func backward(_ dy: Tensor, input x: Tensor, groups: Int, weight: Tensor?, statistics: Statistics,
                                needsInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        precondition(dy.layout == x.layout && dy.shape == x.shape, "group norm backward: gradient \(dy.shape) \(dy.layout), input \(x.shape) \(x.layout)")
        let g = Geometry(x.shape, layout: x.layout, groups: groups)
        let gamma = weight?.scalars ?? [Float](repeating: 1, count: g.c)
        let mu = (0..<g.n * g.c).map { statistics.mean[($0 / g.c) * g.groups + ($0 % g.c) / g.perGroup] }
        let zero = [Float](repeating: 0, count: g.n * g.c)
        let dx: Tensor? = needsInputGradient ? Tensor(uninitialized: x.shape, layout: x.layout) : nil
        var dGamma = [Float](repeating: 0, count: g.c), dBeta = dGamma
        x.withUnsafeBufferPointer { xs in dy.withUnsafeBufferPointer { dys in
            let x = xs.baseAddress!, dy = dys.baseAddress!
            // Per (n, c): Σ dy and Σ dy·(x − μ).
            let sums = pairSums(g, dy, zero, x, mu)
            var p = zero, q = zero, k = zero
            let count = Double(g.perGroup * g.s)
            for b in 0..<g.n {
                for grp in 0..<g.groups {
                    let r = Double(statistics.inverseDeviation[b * g.groups + grp]), channels = grp * g.perGroup..<(grp + 1) * g.perGroup
                    var m1 = 0.0, m2 = 0.0
                    for ch in channels {
                        let sumDy = sums.first[b * g.c + ch], sumDyXhat = sums.second[b * g.c + ch] * r
                        dBeta[ch] += Float(sumDy)
                        dGamma[ch] += Float(sumDyXhat)
                        m1 += Double(gamma[ch]) * sumDy
                        m2 += Double(gamma[ch]) * sumDyXhat
                    }
                    m1 /= count
                    m2 /= count
                    for ch in channels {
                        p[b * g.c + ch] = Float(r * Double(gamma[ch]))
                        q[b * g.c + ch] = Float(-r * m2)
                        k[b * g.c + ch] = Float(-r * m1)
                    }
                }
            }
            // q holds −r·m₂; one more factor r makes it the coefficient of (x − μ).
            for i in 0..<g.n * g.c { q[i] *= statistics.inverseDeviation[(i / g.c) * g.groups + (i % g.c) / g.perGroup] }
            if let dx { affine(g, x, mu, q, k, dy: dy, p: p, into: dx.storage.pointer) }
        } }
        return (dx, Tensor(shape: [g.c], scalars: dGamma), Tensor(shape: [g.c], scalars: dBeta))
    }

    /// Per (sample, channel), in double: Σ (a − sa) and Σ (a − sa)·(b − sb) over the positions,
    /// with sa, sb per (sample, channel). Pieces of (sample, block) in parallel, float sums within a piece.
    static func pairSums(_ g: Geometry, _ a: UnsafePointer<Float>, _ sa: [Float], _ b: UnsafePointer<Float>, _ sb: [Float])
        -> (first: [Double], second: [Double]) {
        let blocks = g.blocks
        var partial = [Double](repeating: 0, count: 2 * g.n * blocks * g.c)
        partial.withUnsafeMutableBufferPointer { out in sa.withUnsafeBufferPointer { sa in sb.withUnsafeBufferPointer { sb in
            let box = UncheckedBox((out.baseAddress!, a, sa.baseAddress!, b, sb.baseAddress!))
            parallelFor(g.n * blocks) { task in
                let (out, a, sa0, b, sb0) = box.value
                let n = task / blocks, range = g.positions(task % blocks)
                let first = out + task * 2 * g.c, second = first + g.c
                let sa = sa0 + n * g.c, sb = sb0 + n * g.c
                if g.channelsLast {
                    let acc = UnsafeMutablePointer<Float>.allocate(capacity: 2 * g.c)
                    defer { acc.deallocate() }
                    acc.initialize(repeating: 0, count: 2 * g.c)
                    let acc2 = acc + g.c
                    for p in range {
                        let pa = a + g.index(n, 0, p), pb = b + g.index(n, 0, p)
                        for ch in 0..<g.c {
                            let u = pa[ch] - sa[ch]
                            acc[ch] += u
                            acc2[ch] += u * (pb[ch] - sb[ch])
                        }
                    }
                    for ch in 0..<g.c { first[ch] = Double(acc[ch]); second[ch] = Double(acc2[ch]) }
                } else {
                    for ch in 0..<g.c {
                        let pa = a + g.index(n, ch, 0), pb = b + g.index(n, ch, 0)
                        let ka = sa[ch], kb = sb[ch]
                        let va = SIMD16<Float>(repeating: ka), vb = SIMD16<Float>(repeating: kb)
                        var s1 = SIMD16<Float>(), s2 = SIMD16<Float>()
                        var p = range.lowerBound
                        while p + 16 <= range.upperBound {
                            let u = UnsafeRawPointer(pa + p).loadUnaligned(as: SIMD16<Float>.self) - va
                            s1 += u
                            s2 += u * (UnsafeRawPointer(pb + p).loadUnaligned(as: SIMD16<Float>.self) - vb)
                            p += 16
                        }
                        var t1 = s1.sum(), t2 = s2.sum()
                        while p < range.upperBound {
                            let u = pa[p] - ka
                            t1 += u
                            t2 += u * (pb[p] - kb)
                            p += 1
                        }
                        first[ch] = Double(t1)
                        second[ch] = Double(t2)
                    }
                }
            }
        } } }
        var first = [Double](repeating: 0, count: g.n * g.c), second = first
        for n in 0..<g.n {
            for block in 0..<blocks {
                let base = (n * blocks + block) * 2 * g.c
                for ch in 0..<g.c {
                    first[n * g.c + ch] += partial[base + ch]
                    second[n * g.c + ch] += partial[base + g.c + ch]
                }
            }
        }
        return (first, second)
    }

    /// out = (x − m_c)·s_c + t_c (+ dy·p_c when `dy` is given), with m, s, t, p per (sample, channel).
    static func affine(_ g: Geometry, _ x: UnsafePointer<Float>, _ m: [Float], _ s: [Float], _ t: [Float],
                       dy: UnsafePointer<Float>?, p: [Float]?, into out: UnsafeMutablePointer<Float>) {
        let p = p ?? t
        m.withUnsafeBufferPointer { m in s.withUnsafeBufferPointer { s in t.withUnsafeBufferPointer { t in p.withUnsafeBufferPointer { p in
            let box = UncheckedBox((x, m.baseAddress!, s.baseAddress!, t.baseAddress!, p.baseAddress!, dy, out))
            parallelFor(g.n * g.blocks) { task in
                let (x, m0, s0, t0, p0, dy, out) = box.value
                let n = task / g.blocks, range = g.positions(task % g.blocks)
                let m = m0 + n * g.c, s = s0 + n * g.c, t = t0 + n * g.c, p = p0 + n * g.c
                if g.channelsLast {
                    for q in range {
                        let base = g.index(n, 0, q)
                        let xq = x + base, oq = out + base
                        if let dy {
                            let dq = dy + base
                            for ch in 0..<g.c { oq[ch] = dq[ch] * p[ch] + (xq[ch] - m[ch]) * s[ch] + t[ch] }
                        } else {
                            for ch in 0..<g.c { oq[ch] = (xq[ch] - m[ch]) * s[ch] + t[ch] }
                        }
                    }
                } else {
                    for ch in 0..<g.c {
                        let base = g.index(n, ch, 0), mc = m[ch], sc = s[ch], tc = t[ch], pc = p[ch]
                        let xc = x + base, oc = out + base
                        if let dy {
                            let dc = dy + base
                            for q in range { oc[q] = dc[q] * pc + (xc[q] - mc) * sc + tc }
                        } else {
                            for q in range { oc[q] = (xc[q] - mc) * sc + tc }
                        }
                    }
                }
            }
        } } } }
    }
}
