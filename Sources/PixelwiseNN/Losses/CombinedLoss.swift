import PixelwiseCore

/// A weighted sum of losses, L = Σ_k λ_k L_k, gradient Σ_k λ_k ∇L_k — e.g. the common Dice +
/// cross-entropy (nnU-Net): `CombinedLoss.diceCrossEntropy()`.
public struct CombinedLoss: Loss {
    public var terms: [(weight: Float, loss: any Loss)]

    public init(_ terms: [(weight: Float, loss: any Loss)]) { self.terms = terms }

    /// λ_Dice · Dice + λ_CE · binary cross-entropy, both on the foreground probability (1-channel
    /// sigmoid or 2-channel softmax output; BCE on 2 channels equals softmax cross-entropy).
    public static func diceCrossEntropy(dice: DiceLoss = DiceLoss(form: .complement), diceWeight: Float = 1,
                                        crossEntropy: BinaryCrossEntropy = BinaryCrossEntropy(),
                                        crossEntropyWeight: Float = 1) -> CombinedLoss {
        CombinedLoss([(diceWeight, dice), (crossEntropyWeight, crossEntropy)])
    }

    public mutating func prepare(iteration: Int) {
        for k in terms.indices { terms[k].loss.prepare(iteration: iteration) }
    }

    public mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        guard !terms.isEmpty else { throw PixelwiseError.invalidArgument("combined loss: no terms") }
        var value: Float = 0
        var gradient: Tensor?
        for k in terms.indices {
            let (v, g) = try terms[k].loss.evaluate(output, target)
            value += terms[k].weight * v
            if gradient == nil {
                gradient = g
                if terms[k].weight != 1 { gradient!.scale(by: terms[k].weight) }
            } else {
                gradient!.add(g, scale: terms[k].weight)
            }
        }
        return (value, gradient!)
    }
}
