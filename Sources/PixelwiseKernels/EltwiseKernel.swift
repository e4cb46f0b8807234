import CDNNL
import PixelwiseCore

/// Element-wise activations on oneDNN's JIT kernels.
public enum EltwiseKernel {
    public enum Function: Hashable, Sendable {
        case relu
        case leakyReLU(slope: Float)
        case sigmoid

        var algorithm: dnnl_alg_kind_t {
            switch self {
            case .relu, .leakyReLU: dnnl_eltwise_relu
            case .sigmoid: dnnl_eltwise_logistic_use_dst_for_bwd
            }
        }
        var alpha: Float {
            if case .leakyReLU(let s) = self { return s }
            return 0
        }
        /// Sigmoid's gradient is cheapest from its output; ReLU's needs the input.
        public var backwardUsesOutput: Bool { self == .sigmoid }
    }

    /// The forward primitive's descriptor over `data` (input and output alike), for training and
    /// inference plans alike (with the user-managed scratchpad both hand in).
    static func forwardDescriptor(_ f: Function, data: dnnl_memory_desc_t, training: Bool) throws -> dnnl_primitive_desc_t {
        var data = data
        var desc = dnnl_eltwise_desc_t()
        try attempt(dnnl_eltwise_forward_desc_init(&desc, training ? dnnl_forward_training : dnnl_forward_inference, f.algorithm, &data,
                                                   f.alpha, 0), "eltwise \(f)")
        return try makePrimitiveDescriptor(&desc, what: "eltwise")
    }

    static func forwardPrimitive(_ f: Function, _ shape: Shape, _ layout: Layout) throws -> Primitive {
        try PrimitiveCache.shared.primitive("elt \(f) \(shape) \(layout)") {
            try forwardDescriptor(f, data: Descriptor.of(shape, layout), training: true)
        }
    }

    public static func forward(_ f: Function, _ x: Tensor) throws -> Tensor {
        let p = try forwardPrimitive(f, x.shape, x.layout)
        let y = Tensor(uninitialized: x.shape, layout: x.layout)
        p.execute([(DNNL_ARG_SRC, Memory(x)), (DNNL_ARG_DST, Memory(y))])
        return y
    }

    /// dL/dx from dL/dy and `data`: the forward input, or its output when `backwardUsesOutput`.
    public static func backward(_ f: Function, _ dy: Tensor, data: Tensor) throws -> Tensor {
        precondition(dy.layout == data.layout)
        let hint = try forwardPrimitive(f, data.shape, data.layout)
        let p = try PrimitiveCache.shared.primitive("eltbwd \(f) \(data.shape) \(data.layout)") {
            var d = Descriptor.of(data.shape, data.layout), diff = Descriptor.of(data.shape, data.layout)
            var desc = dnnl_eltwise_desc_t()
            try attempt(dnnl_eltwise_backward_desc_init(&desc, f.algorithm, &diff, &d, f.alpha, 0), "eltwise backward \(f)")
            return try makePrimitiveDescriptor(&desc, hint: hint, what: "eltwise backward")
        }
        let dx = Tensor(uninitialized: data.shape, layout: data.layout)
        p.execute([(f.backwardUsesOutput ? DNNL_ARG_DST : DNNL_ARG_SRC, Memory(data)), (DNNL_ARG_DIFF_DST, Memory(dy)),
                   (DNNL_ARG_DIFF_SRC, Memory(dx))])
        return dx
    }
}
