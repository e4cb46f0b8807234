/// The Malis loss (Turaga et al. 2009) in the constrained form of Tschopp 2015, §5.3.2.
///
/// Inputs: the predicted affinity graph A_pred (see `AffinityGraph`; e.g. `affinities(from:)` of
/// the network's foreground probability) and the ground-truth components (0 = membrane/background,
/// which belongs to no component). The target graph A_label is `groundTruthAffinities`: 1 inside a
/// component, 0 elsewhere. Two constrained graphs (Eq. 5.1–5.2):
///
///     A⁺ = min(A_pred, A_label)   — no false merges left, so only missing affinity is counted;
///     A⁻ = max(A_pred, A_label)   — no false splits left, so only spurious affinity is counted.
///
/// Kruskal on A⁺ gives, per edge, the positive pairs P_e it is maximin edge of (`maximinPairs`,
/// positive); Kruskal on A⁻ the negative pairs N_e. With margin m (0 gives Turaga's square loss),
///
///     L⁺ = Σ_e P_e · max(0, 1 − m − A⁺_e)²,      L⁻ = Σ_e N_e · max(0, A⁻_e − m)²,
///     ΔA⁺_e = −2 P_e · max(0, 1 − m − A⁺_e),      ΔA⁻_e = 2 N_e · max(0, A⁻_e − m),
///
/// each optionally divided by the total number of positive resp. negative pairs (as the Caffe
/// layer does), and L = L⁺ + L⁻. The pair counts are held constant, as in every Malis
/// implementation. The gradient with respect to A_pred is ΔA = ΔA⁺ + ΔA⁻ passed through the
/// min/max: ΔA⁺_e only where A_pred,e ≤ A_label,e and ΔA⁻_e only where A_pred,e ≥ A_label,e.
/// (Tschopp's layer adds ΔA⁺ + ΔA⁻ unmasked; the two differ only on edges where the label side of
/// the min/max was selected, where A_pred has no influence and the true derivative is 0.)
/// Feed the result to `AffinityGraph.backward(edgeGradient:)` for a per-pixel gradient.
public struct MalisResult: Sendable {
    /// L = L⁺ + L⁻ (normalised if requested).
    public var loss: Double
    public var positiveLoss: Double
    public var negativeLoss: Double
    /// dL/dA_pred per edge, axis-major like the affinities.
    public var gradient: [Float]
    public var positive: MaximinPairs
    public var negative: MaximinPairs
}

public enum MalisNormalisation: Sendable {
    /// Raw sums over pairs.
    case none
    /// L⁺ / (total positive pairs) + L⁻ / (total negative pairs).
    case byPairCount
}

/// The Malis loss of predicted affinities against ground-truth components (see `MalisResult`).
public func malisLoss(affinities predicted: [Float], groundTruthComponents components: [Int32],
                      width: Int, height: Int, depth: Int = 1, margin: Float = 0,
                      normalisation: MalisNormalisation = .byPairCount) -> MalisResult {
    let label = groundTruthAffinities(components: components, width: width, height: height, depth: depth)
    precondition(predicted.count == label.count, "affinities have \(predicted.count) values, expected \(label.count)")
    var constrained = [Float](repeating: 0, count: label.count)
    for e in label.indices { constrained[e] = min(predicted[e], label[e]) }
    let positive = maximinPairs(affinities: constrained, components: components,
                                width: width, height: height, depth: depth, positive: true)
    var positiveLoss = 0.0
    var gradient = [Float](repeating: 0, count: label.count)
    let positiveScale = normalisation == .byPairCount ? 1 / Double(max(1, positive.totalPairs)) : 1
    for e in label.indices where positive.pairs[e] > 0 {
        let slack = Double(max(0, 1 - margin - constrained[e]))
        let weight = Double(positive.pairs[e]) * positiveScale
        positiveLoss += weight * slack * slack
        if predicted[e] <= label[e] { gradient[e] -= Float(2 * weight * slack) }
    }

    for e in label.indices { constrained[e] = max(predicted[e], label[e]) }
    let negative = maximinPairs(affinities: constrained, components: components,
                                width: width, height: height, depth: depth, positive: false)
    var negativeLoss = 0.0
    let negativeScale = normalisation == .byPairCount ? 1 / Double(max(1, negative.totalPairs)) : 1
    for e in label.indices where negative.pairs[e] > 0 {
        let excess = Double(max(0, constrained[e] - margin))
        let weight = Double(negative.pairs[e]) * negativeScale
        negativeLoss += weight * excess * excess
        if predicted[e] >= label[e] { gradient[e] += Float(2 * weight * excess) }
    }
    return MalisResult(loss: positiveLoss + negativeLoss, positiveLoss: positiveLoss, negativeLoss: negativeLoss,
                       gradient: gradient, positive: positive, negative: negative)
}
