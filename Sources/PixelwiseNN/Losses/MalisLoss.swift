import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseKernels

/// The Malis loss of a binary segmentation network (Turaga et al. 2009; Tschopp 2015, §5.3): it
/// penalises the pixel pairs a segmentation by connected components would get wrong, through the
/// one edge of the affinity graph that decides each pair (its maximin edge), instead of every pixel
/// on its own. A thin membrane that is predicted almost everywhere but has one weak pixel costs
/// little under cross-entropy and everything here: the two cells merge through that pixel.
///
/// Per image of the batch (output N × C × [D ×] H × W, labels N × [D ×] H × W):
///
/// 1. I⁺ = foreground probability: σ(x) for 1 channel, softmax(x)₁ = σ(x₁ − x₀) for 2 channels
///    (`BinaryLogits`); for C > 2 classes, the two-class consolidation Σ_{k∈F} softmax(x)_k of the
///    `foregroundClasses` F (e.g. mitochondria + intracellular of ssTEM's five classes), whose
///    label indices are then the foreground.
/// 2. The affinity graph A_e = min(I⁺_i, I⁺_j) over face neighbours, with argmin maps
///    (`affinities(from:)`, Eq. 5.3–5.6).
/// 3. Ground-truth components: 4- (2-D) or 6-connected (3-D) regions of label 1
///    (`connectedComponents`). Label 0 (membrane) and ignored labels (< 0) belong to no component,
///    so they count in no pair; pixel weights (`Target.weights`) do not apply to a pair loss.
/// 4. `malisLoss` on the constrained graphs A⁺ = min(A, A_label), A⁻ = max(A, A_label)
///    (Eq. 5.1–5.2), giving ΔA = ΔA⁺ + ΔA⁻ per edge.
/// 5. ΔI⁺ through the argmin maps (`AffinityGraph.backward`, Eq. 5.9–5.11), then to the logits:
///    ∂L/∂z = ΔI⁺ · I⁺(1 − I⁺) with z = x (1 channel) or z = x₁ − x₀, i.e. ∂L/∂x₁ = −∂L/∂x₀
///    (2 channels); for C classes ∂L/∂x_j = ΔI⁺ · p_j (1[j ∈ F] − I⁺).
///
/// Step 5 for 2 channels is Tschopp's ΔI⁻ = −ΔI⁺ (Eq. 5.12) in direction. Fed into a softmax
/// backward, Tschopp's rule gives exactly twice this gradient (∂L/∂x₁ = 2 I⁺I⁻ ΔI⁺); here the loss
/// is a function of I⁺ alone and its exact derivative is used, so the gradient matches finite
/// differences (away from ties in the argmin and the spanning tree, where L is not differentiable).
///
/// The loss of the batch is the mean over its images, the gradient likewise. Images are evaluated
/// in parallel on `Threads.count` threads (Kruskal is sequential within one image). Cost per image:
/// one radix sort and two union-find passes over its ≈ 2·H·W (3·D·H·W) edges, O(E α(E)).
public struct MalisLoss: Loss, Sendable {
    /// m in max(0, 1 − m − A⁺)² and max(0, A⁻ − m)²; 0 gives Turaga's square loss.
    public var margin: Float
    /// `.byPairCount` (constrained Malis as in Tschopp's layer: each sum divided by its pair
    /// count, so the loss lies in [0, 2] whatever the patch size) or `.none` (raw pair sums).
    public var normalisation: MalisNormalisation

    /// The foreground classes F of a C-class output (C > 2), nil for a binary output (1 or 2
    /// channels, foreground label 1).
    public var foregroundClasses: Set<Int>?

    public init(margin: Float = 0, normalisation: MalisNormalisation = .byPairCount, foregroundClasses: Set<Int>? = nil) {
        self.margin = margin
        self.normalisation = normalisation
        self.foregroundClasses = foregroundClasses
    }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        let spatial = output.shape.spatial
        guard spatial.count == 2 || spatial.count == 3 else {
            throw PixelwiseError.shapeMismatch("malis: output \(output.shape) must be (N, C, H, W) or (N, C, D, H, W)")
        }
        let width = spatial[spatial.count - 1], height = spatial[spatial.count - 2]
        let depth = spatial.count == 3 ? spatial[0] : 1
        if output.shape[1] > 2, foregroundClasses == nil {
            throw PixelwiseError.shapeMismatch("malis: output \(output.shape) has \(output.shape[1]) classes; name the foreground classes whose union Malis keeps connected (--foreground-classes)")
        }
        let consolidated = try foregroundClasses.map { try BinaryLogits.consolidatedLogits(output, foreground: $0) }
        let logits = try consolidated?.z ?? BinaryLogits.logits(output)
        let foregroundLabels = foregroundClasses.map { Set($0.map(Int32.init)) } ?? [1]
        let images = output.shape[0], pixels = width * height * depth

        var values = [Double](repeating: 0, count: images)
        var dz = [Float](repeating: 0, count: logits.count)
        let scale = 1 / Float(images)
        logits.withUnsafeBufferPointer { z in
        dz.withUnsafeMutableBufferPointer { dz in
        values.withUnsafeMutableBufferPointer { values in
            let dzBase = dz.baseAddress!, valueBase = values.baseAddress!
            parallelFor(images) { n in
                let range = n * pixels..<(n + 1) * pixels
                let probability = z[range].map(BinaryLogits.sigmoid)
                let foreground = target.labels[range].map(foregroundLabels.contains)
                let components = connectedComponents(foreground: foreground, width: width, height: height, depth: depth)
                let graph = affinities(from: probability, width: width, height: height, depth: depth)
                let result = malisLoss(affinities: graph.values, groundTruthComponents: components.labels,
                                       width: width, height: height, depth: depth,
                                       margin: margin, normalisation: normalisation)
                let pixelGradient = graph.backward(edgeGradient: result.gradient)
                valueBase[n] = result.loss
                for p in 0..<pixels where pixelGradient[p] != 0 {
                    let q = probability[p]
                    dzBase[range.lowerBound + p] = scale * pixelGradient[p] * q * (1 - q)
                }
            }
        }}}
        let gradient = if let consolidated, let foregroundClasses {
            BinaryLogits.gradient(dz, like: output, foreground: foregroundClasses, probabilities: consolidated.probabilities)
        } else {
            BinaryLogits.gradient(dz, like: output)
        }
        return (Float(values.reduce(0, +) / Double(images)), gradient)
    }
}
