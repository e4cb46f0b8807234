#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// Dice loss on the foreground probability q_p = σ(z_p) (`BinaryLogits`: 1-channel sigmoid or
/// 2-channel softmax output, foreground = label 1).
///
/// Soft Dice over the batch (or each image, `perImage`), with pixel weights w_p (0 = ignored):
///   D = (2 I + s) / (U + s),  I = Σ w_p q_p y_p,  U = Σ w_p q_p + Σ w_p y_p,
/// s the smoothing term that keeps D defined for empty masks.
/// - `.negativeLog`: L = −log D (Intel's U-Net on BraTS, seed 004);
/// - `.complement`:  L = 1 − D (the usual "soft Dice" loss).
/// dD/dq_p = w_p (2 y_p (U + s) − (2 I + s)) / (U + s)²; dL/dq = −dD/dq / D (−log) or −dD/dq (1 − D);
/// dL/dz = dL/dq · q (1 − q). With `perImage`, L is the mean over the images.
///
/// With 3 or more output channels, or `includeBackground`, the output is a C-class softmax and
/// the loss is over the mean Dice of the classes (see `DiceLoss+Classes.swift`).
public struct DiceLoss: Loss, Sendable {
    public enum Form: String, Codable, Sendable, CaseIterable {
        case negativeLog
        case complement
    }

    public var form: Form
    public var smooth: Float
    public var perImage: Bool
    public var ignoreLabel: Int32?
    /// For C-class outputs: whether class 0 (background) counts in the mean over classes.
    public var includeBackground: Bool

    public init(form: Form = .negativeLog, smooth: Float = 1, perImage: Bool = false, ignoreLabel: Int32? = nil,
                includeBackground: Bool = false) {
        self.form = form
        self.smooth = smooth
        self.perImage = perImage
        self.ignoreLabel = ignoreLabel
        self.includeBackground = includeBackground
    }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        guard smooth >= 0 else { throw PixelwiseError.invalidArgument("Dice loss: smoothing \(smooth) must be ≥ 0") }
        if output.shape[1] >= 3 || (output.shape[1] == 2 && includeBackground) { return try evaluateClasses(output, target) }
        let weighting = PixelWeighting(ignoreLabel: ignoreLabel)
        try BinaryLogits.checkBinary(target, weighting)
        let z = try BinaryLogits.logits(output)
        let w = try weighting.weights(for: target, classes: 2)
        let q = z.map(BinaryLogits.sigmoid)
        let groups = perImage ? output.shape[0] : 1, size = z.count / groups
        var dz = [Float](repeating: 0, count: z.count)
        var total = 0.0
        for n in 0..<groups {
            let range = n * size..<(n + 1) * size
            var i = 0.0, u = 0.0
            for p in range where w[p] != 0 {
                let y = target.labels[p] == 1 ? 1.0 : 0.0
                i += Double(w[p]) * Double(q[p]) * y
                u += Double(w[p]) * (Double(q[p]) + y)
            }
            let s = Double(smooth), num = 2 * i + s, den = u + s
            guard den > 0 else { continue }  // nothing labelled and no smoothing: no error
            let dice = num / den
            total += form == .negativeLog ? -log(max(dice, 1e-30)) : 1 - dice
            // dL/dD, then the chain through D and q.
            let dLdD = form == .negativeLog ? -1 / max(dice, 1e-30) : -1
            for p in range where w[p] != 0 {
                let y = target.labels[p] == 1 ? 1.0 : 0.0
                let dDdq = Double(w[p]) * (2 * y * den - num) / (den * den)
                dz[p] = Float(dLdD * dDdq / Double(groups)) * q[p] * (1 - q[p])
            }
        }
        return (Float(total / Double(groups)), BinaryLogits.gradient(dz, like: output))
    }
}
