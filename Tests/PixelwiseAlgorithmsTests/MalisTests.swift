import Foundation
import Testing
@testable import PixelwiseAlgorithms
import PixelwiseTestSupport

@Suite struct MalisTests {
    @Test func affinitiesAreMinimaWithArgmin() {
        // 3×2 image; horizontal edges at x = 0, 1, vertical edges in row 0.
        let p: [Float] = [0.9, 0.2, 0.5,
                          0.4, 0.8, 0.1]
        let g = affinities(from: p, width: 3, height: 2)
        let values: [Float] = [0.2, 0.2, 0, 0.4, 0.1, 0,     // axis x
                               0.4, 0.2, 0.1, 0, 0, 0]       // axis y
        let argmin: [Int32] = [1, 1, -1, 3, 5, -1,
                               3, 1, 5, -1, -1, -1]
        #expect(g.values == values)
        #expect(g.argmin == argmin)
        // Backward sends each edge's gradient to its minimum pixel (Eq. 5.9, 5.11).
        let edgeGradient: [Float] = [1, 2, 0, 4, 8, 0, 16, 32, 64, 0, 0, 0]
        let pixelGradient: [Float] = [0, 35, 0, 20, 0, 72]
        #expect(g.backward(edgeGradient: edgeGradient) == pixelGradient)
        let target: [Float] = [1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
        #expect(groundTruthAffinities(components: [1, 1, 0, 2, 2, 2], width: 3, height: 2) == target)
    }

    @Test func chainPairCountsByHand() {
        // Pixels 0–3 in a row, labels 1 1 2 2, edge affinities 0.9, 0.4, 0.8.
        let a: [Float] = [0.9, 0.4, 0.8, 0, 0, 0, 0, 0]
        let labels: [Int32] = [1, 1, 2, 2]
        let pos = maximinPairs(affinities: a, components: labels, width: 4, height: 1, positive: true)
        let neg = maximinPairs(affinities: a, components: labels, width: 4, height: 1, positive: false)
        let positivePairs: [Int64] = [1, 0, 1, 0, 0, 0, 0, 0]
        let negativePairs: [Int64] = [0, 4, 0, 0, 0, 0, 0, 0]   // both cells meet at the 0.4 edge
        #expect(pos.pairs == positivePairs)
        #expect(neg.pairs == negativePairs)
        #expect(pos.totalPairs == 2 && neg.totalPairs == 4)
        #expect(pos.misclassifiedPairs == 0 && neg.misclassifiedPairs == 0)
    }

    /// Maximin (widest-path) affinity between all pixel pairs by Floyd–Warshall, then each pair
    /// credited to the unique edge with that affinity (values are distinct).
    static func bruteForcePairs(_ a: [Float], _ labels: [Int32], _ w: Int, _ h: Int, positive: Bool) -> [Int64] {
        let n = w * h
        var best = [[Float]](repeating: [Float](repeating: -.infinity, count: n), count: n)
        var edgeOfValue: [Float: Int] = [:]
        for e in 0..<(2 * n) {
            let i = e % n, vertical = e >= n
            let j = vertical ? i + w : i + 1
            if vertical ? i / w + 1 >= h : i % w + 1 >= w { continue }
            best[i][j] = a[e]; best[j][i] = a[e]
            edgeOfValue[a[e]] = e
        }
        for k in 0..<n { for i in 0..<n { for j in 0..<n {
            best[i][j] = max(best[i][j], min(best[i][k], best[k][j]))
        } } }
        var pairs = [Int64](repeating: 0, count: 2 * n)
        for i in 0..<n { for j in (i + 1)..<n where labels[i] != 0 && labels[j] != 0 {
            if (labels[i] == labels[j]) == positive { pairs[edgeOfValue[best[i][j]]!] += 1 }
        } }
        return pairs
    }

    @Test func pairCountsMatchBruteForce() {
        var rng = SplitMix64(seed: 5)
        let w = 5, h = 4, n = w * h
        for _ in 0..<10 {
            var values = (0..<(2 * n)).map { Float($0 + 1) / Float(2 * n + 1) }
            values.shuffle(using: &rng)
            let labels = (0..<n).map { _ in Int32.random(in: 0...3, using: &rng) }
            for positive in [true, false] {
                let fast = maximinPairs(affinities: values, components: labels, width: w, height: h, positive: positive)
                #expect(fast.pairs == Self.bruteForcePairs(values, labels, w, h, positive: positive))
            }
        }
    }

    @Test func perfectPredictionHasZeroLossAndGradient() {
        let w = 20, h = 16
        let truth = cellImage(width: w, height: h, cell: 5)
        let components = connectedComponents(foreground: truth, width: w, height: h)
        #expect(components.count == 12)     // 4 × 3 cells, the last column and row cut short
        let graph = affinities(from: truth.map { $0 ? 1 : 0 }, width: w, height: h)
        #expect(graph.values == groundTruthAffinities(components: components.labels, width: w, height: h))
        let r = malisLoss(affinities: graph.values, groundTruthComponents: components.labels, width: w, height: h)
        #expect(r.loss == 0)
        #expect(r.gradient.allSatisfy { $0 == 0 })
        // Cells 5×5 (6 of them), 2×5 (2), 5×4 (3), 2×4 (1): Σ C(size, 2) = 6·300 + 2·45 + 3·190 + 28.
        #expect(r.positive.totalPairs == 2488)
        #expect(r.positive.misclassifiedPairs == 0 && r.negative.misclassifiedPairs == 0)
    }

    /// Two cells (columns 0–2 and 4–6 of a 7×5 image, 15 pixels each) and a membrane column 3 with a
    /// gap at (3, 2) where the prediction is 0.6.
    static func weakMembrane(interior: Float) -> (probability: [Float], components: [Int32]) {
        let w = 7, h = 5
        var probability = [Float](repeating: interior, count: w * h)
        var components = [Int32](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w {
            if x == 3 { probability[y * w + x] = 0 } else { components[y * w + x] = x < 3 ? 1 : 2 }
        } }
        probability[2 * w + 3] = 0.6
        return (probability, components)
    }

    @Test func mergeThroughOneWeakMembranePixel() {
        let w = 7, h = 5, gapEdge = 2 * w + 3          // horizontal edge (3,2)–(4,2)
        let (probability, components) = Self.weakMembrane(interior: 1)
        let graph = affinities(from: probability, width: w, height: h)
        let r = malisLoss(affinities: graph.values, groundTruthComponents: components, width: w, height: h,
                          normalisation: .none)
        // On A⁻ the cells form at affinity 1; the edge (2,2)–(3,2) (0.6, lower index) only adds the
        // unlabelled gap pixel; the edge (3,2)–(4,2) then joins 15 × 15 pixels of different cells.
        #expect(r.negative.pairs[gapEdge] == 225)
        #expect(r.negative.pairs.enumerated().allSatisfy { $0.offset == gapEdge || $0.element == 0 })
        #expect(r.negative.totalPairs == 225 && r.negative.misclassifiedPairs == 225)
        #expect(abs(r.negativeLoss - 225 * 0.36) < 1e-4)
        #expect(r.positiveLoss == 0)
        // The whole gradient is on that edge: 2 · 225 · 0.6, and per pixel on the gap pixel.
        #expect(abs(r.gradient[gapEdge] - 270) < 1e-3)
        #expect(r.gradient.enumerated().allSatisfy { $0.offset == gapEdge || $0.element == 0 })
        let pixel = graph.backward(edgeGradient: r.gradient)
        #expect(abs(pixel[2 * w + 3] - 270) < 1e-3)
        #expect(pixel.enumerated().allSatisfy { $0.offset == 2 * w + 3 || $0.element == 0 })

        // With pair normalisation the negative loss is the mean over the 225 pairs.
        let normalised = malisLoss(affinities: graph.values, groundTruthComponents: components, width: w, height: h)
        #expect(abs(normalised.loss - 0.36) < 1e-6)
        #expect(abs(normalised.gradient[gapEdge] - 1.2) < 1e-6)
    }

    @Test func weakInteriorAddsPositiveErrorButMergeStaysOnTheGap() {
        let w = 7, h = 5, gapEdge = 2 * w + 3
        let (probability, components) = Self.weakMembrane(interior: 0.9)
        let graph = affinities(from: probability, width: w, height: h)
        let r = malisLoss(affinities: graph.values, groundTruthComponents: components, width: w, height: h,
                          normalisation: .none)
        #expect(r.negative.pairs[gapEdge] == 225)
        #expect(r.negative.pairs.reduce(0, +) == 225)
        // A⁺ = 0.9 inside: every same-cell pair (2 · C(15, 2) = 210) costs (1 − 0.9)².
        #expect(r.positive.totalPairs == 210)
        #expect(abs(r.positiveLoss - 210 * 0.01) < 1e-4)
        #expect(r.gradient.filter { $0 < 0 }.count == 28)   // the 2 × 14 spanning-tree edges of the cells
        #expect(r.gradient[gapEdge] > 0)
    }

    @Test func splitThroughAWeakInteriorPixel() {
        // Five pixels of one cell; the middle one is predicted 0.2.
        let p: [Float] = [1, 1, 0.2, 1, 1]
        let graph = affinities(from: p, width: 5, height: 1)
        let r = malisLoss(affinities: graph.values, groundTruthComponents: [1, 1, 1, 1, 1], width: 5, height: 1,
                          normalisation: .none)
        // Kruskal on A⁺: the two 1-edges join 1 pair each; (1,2) joins {0,1}+{2}: 2 pairs; (2,3): 3·2 = 6.
        let pairs: [Int64] = [1, 2, 6, 1]
        #expect(Array(r.positive.pairs[0..<4]) == pairs)
        #expect(r.positive.totalPairs == 10 && r.positive.misclassifiedPairs == 8)
        #expect(abs(r.loss - 8 * 0.64) < 1e-5)
        #expect(abs(r.gradient[1] + 3.2) < 1e-5 && abs(r.gradient[2] + 9.6) < 1e-5)
        #expect(abs(graph.backward(edgeGradient: r.gradient)[2] + 12.8) < 1e-4)
    }

    @Test func marginStopsTheLossOnceSeparated() {
        // With margin 0.3 a membrane affinity of 0.25 is already separated enough.
        let w = 7, h = 5
        var (probability, components) = Self.weakMembrane(interior: 1)
        probability[2 * w + 3] = 0.25
        let graph = affinities(from: probability, width: w, height: h)
        #expect(malisLoss(affinities: graph.values, groundTruthComponents: components, width: w, height: h,
                          margin: 0.3).loss == 0)
        #expect(malisLoss(affinities: graph.values, groundTruthComponents: components, width: w, height: h).loss > 0)
    }

    @Test func volumePairCounts() {
        let w = 4, h = 3, d = 3
        let truth = randomMask(w * h * d, density: 0.6, seed: 77)
        let components = connectedComponents(foreground: truth, width: w, height: h, depth: d)
        let graph = affinities(from: truth.map { $0 ? 1 : 0 }, width: w, height: h, depth: d)
        #expect(graph.values.count == 3 * w * h * d)
        let r = malisLoss(affinities: graph.values, groundTruthComponents: components.labels, width: w, height: h, depth: d)
        #expect(r.loss == 0)
        let sizes = components.sizes.dropFirst().map(Int64.init)
        let labelled = sizes.reduce(0, +)
        #expect(r.positive.totalPairs == sizes.reduce(0) { $0 + $1 * ($1 - 1) / 2 })
        #expect(r.negative.totalPairs == labelled * (labelled - 1) / 2 - r.positive.totalPairs)
    }

    /// A 512² cell image (its timing: `pixelwise-benchmarks malis`) has pairs of both kinds.
    @Test func cellImage512HasPairsOfBothKinds() {
        let w = 512, h = 512
        let truth = cellImage(width: w, height: h, cell: 30)
        let components = connectedComponents(foreground: truth, width: w, height: h)
        var rng = SplitMix64(seed: 3)
        let probability: [Float] = truth.map { ($0 ? 0.8 : 0.2) + Float.random(in: -0.15...0.15, using: &rng) }
        let graph = affinities(from: probability, width: w, height: h)
        let result = malisLoss(affinities: graph.values, groundTruthComponents: components.labels, width: w, height: h)
        #expect(result.positive.totalPairs > 0 && result.negative.totalPairs > 0)
    }
}
