/// Clips the gradients by their global norm (Pascanu et al. 2013; PyTorch's clip_grad_norm_):
/// with ‖g‖ = √(Σ over all parameters of Σ g²), every gradient is scaled by maxNorm / ‖g‖ when
/// ‖g‖ > maxNorm, so the update keeps its direction and is at most maxNorm long.
///
/// - Returns: ‖g‖ before clipping (non-finite if a gradient is; then nothing is scaled).
@discardableResult
public func clipGradientNorm(_ parameters: [(name: String, parameter: Parameter)], maxNorm: Float) -> Float {
    let norm = Float(parameters.reduce(0.0) { $0 + ($1.parameter.gradient?.squaredNorm ?? 0) }.squareRoot())
    guard norm.isFinite, norm > maxNorm, norm > 0 else { return norm }
    let scale = maxNorm / norm
    for (_, p) in parameters {
        guard var g = p.gradient else { continue }
        g.scale(by: scale)
        p.setGradient(g)
    }
    return norm
}
