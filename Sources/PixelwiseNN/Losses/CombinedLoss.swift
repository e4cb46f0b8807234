import PixelwiseCore

/// A weighted sum of losses, L = Σ_k λ_k L_k, gradient Σ_k λ_k ∇L_k — e.g. the common Dice +
/// cross-entropy (nnU-Net): `CombinedLoss.diceCrossEntropy()`.
public struct CombinedLoss: Loss {
    public var terms: [(weight: Float, loss: any Loss)]

    public init(_ terms: [(weight: Float, loss: any Loss)]) { self.terms = terms }

    /// λ_Dice · Dice + λ_CE · cross-entropy for any number of classes (nnU-Net's loss): the Dice
    /// loss (for C > 2 classes the mean over the classes) plus softmax cross-entropy over the C
    /// output channels, or binary cross-entropy for a 1-channel sigmoid output
    /// (`CrossEntropyForOutput`); class weights go to the cross-entropy.
    public static func diceCrossEntropy(classWeights: [Float]?, dice: DiceLoss = DiceLoss(form: .complement),
                                        diceWeight: Float = 1, crossEntropyWeight: Float = 1) -> CombinedLoss {
        CombinedLoss([(diceWeight, dice), (crossEntropyWeight, CrossEntropyForOutput(classWeights: classWeights))])
    }

    /// λ_Dice · Dice + λ_CE · binary cross-entropy, both on the foreground probability (1-channel
    /// sigmoid or 2-channel softmax output; BCE on 2 channels equals softmax cross-entropy).
    /// Two classes only; `diceCrossEntropy(classWeights:)` takes any number.
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

/// Cross-entropy that follows the output: binary cross-entropy on a 1-channel (sigmoid) output,
/// softmax cross-entropy over the channels of a C ≥ 2-channel output (for two channels the two are
/// the same loss).
public struct CrossEntropyForOutput: Loss, Sendable {
    public var classWeights: [Float]?

    public init(classWeights: [Float]? = nil) { self.classWeights = classWeights }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        if output.shape.count > 1 && output.shape[1] == 1 {
            return try BinaryCrossEntropy(classWeights: classWeights).evaluate(output, target)
        }
        return try SoftmaxCrossEntropy(classWeights: classWeights).evaluate(output, target)
    }
}
