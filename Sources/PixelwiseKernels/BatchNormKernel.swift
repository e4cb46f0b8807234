import CDNNL
import PixelwiseCore

/// Batch normalisation on oneDNN: y = γ·(x − μ)/√(σ² + ε) + β per channel.
/// Training uses the batch's μ, σ² (returned so the layer can update its running averages);
/// inference uses the given running statistics.
public enum BatchNormKernel {
    static func flags(globalStats: Bool) -> UInt32 {
        var f = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        if globalStats { f |= dnnl_use_global_stats.rawValue }
        return f
    }

    static func forwardPrimitive(_ shape: Shape, layout: Layout, epsilon: Float, training: Bool) throws -> Primitive {
        try PrimitiveCache.shared.primitive("bn \(training) \(shape) \(layout) \(epsilon)") {
            var data = Descriptor.of(shape, layout)
            var desc = dnnl_batch_normalization_desc_t()
            try attempt(dnnl_batch_normalization_forward_desc_init(&desc, training ? dnnl_forward_training : dnnl_forward_inference,
                                                                   &data, epsilon, flags(globalStats: !training)),
                        "batch norm \(shape)")
            return try makePrimitiveDescriptor(&desc, what: "batch norm")
        }
    }

    public static func forward(_ x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor?, variance: Tensor?,
                               epsilon: Float, training: Bool) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let p = try forwardPrimitive(x.shape, layout: x.layout, epsilon: epsilon, training: training)
        let y = Tensor(uninitialized: x.shape, layout: x.layout)
        let c = x.shape[1]
        let m = training ? Tensor(uninitialized: [c]) : mean!
        let v = training ? Tensor(uninitialized: [c]) : variance!
        p.execute([(DNNL_ARG_SRC, Memory(x)), (DNNL_ARG_DST, Memory(y)), (DNNL_ARG_SCALE, Memory(scale)),
                   (DNNL_ARG_SHIFT, Memory(shift)), (DNNL_ARG_MEAN, Memory(m)), (DNNL_ARG_VARIANCE, Memory(v))])
        return (y, m, v)
    }

    /// dL/dx, dL/dγ, dL/dβ from the training forward's batch statistics. (oneDNN 2.6 wants the
    /// shift memory here too, although the gradient does not depend on it.)
    public static func backward(_ dy: Tensor, input x: Tensor, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                                epsilon: Float) throws -> (input: Tensor, scale: Tensor, shift: Tensor) {
        precondition(dy.layout == x.layout)
        let hint = try forwardPrimitive(x.shape, layout: x.layout, epsilon: epsilon, training: true)
        let p = try PrimitiveCache.shared.primitive("bnbwd \(x.shape) \(x.layout) \(epsilon)") {
            var data = Descriptor.of(x.shape, x.layout), diff = Descriptor.of(x.shape, x.layout)
            var desc = dnnl_batch_normalization_desc_t()
            try attempt(dnnl_batch_normalization_backward_desc_init(&desc, dnnl_backward, &diff, &data, epsilon, flags(globalStats: false)),
                        "batch norm backward")
            return try makePrimitiveDescriptor(&desc, hint: hint, what: "batch norm backward")
        }
        let c = x.shape[1]
        let dx = Tensor(uninitialized: x.shape, layout: x.layout)
        let dScale = Tensor(uninitialized: [c]), dShift = Tensor(uninitialized: [c])
        p.execute([(DNNL_ARG_SRC, Memory(x)), (DNNL_ARG_DIFF_DST, Memory(dy)), (DNNL_ARG_SCALE, Memory(scale)),
                   (DNNL_ARG_SHIFT, Memory(shift)), (DNNL_ARG_MEAN, Memory(mean)), (DNNL_ARG_VARIANCE, Memory(variance)),
                   (DNNL_ARG_DIFF_SRC, Memory(dx)), (DNNL_ARG_DIFF_SCALE, Memory(dScale)), (DNNL_ARG_DIFF_SHIFT, Memory(dShift))])
        return (dx, dScale, dShift)
    }
}
