import CDNNL
import PixelwiseCore

/// Max and average pooling on oneDNN (dense kernels only: oneDNN 2.6 runs dilated pooling on its
/// reference kernel, 100× slower, so Tschopp's SK pooling has its own loop in the layer).
public enum PoolingKernel {
    public enum Kind: String, Sendable { case max, average }

    static func algorithm(_ kind: Kind) -> dnnl_alg_kind_t {
        kind == .max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding
    }

    /// The forward primitive's descriptor, for training and inference plans alike (with the
    /// user-managed scratchpad both hand in).
    static func forwardDescriptor(_ kind: Kind, source: dnnl_memory_desc_t, destination: dnnl_memory_desc_t, kernel: [Int], stride: [Int],
                                  paddingLow: [Int], paddingHigh: [Int], training: Bool) throws -> dnnl_primitive_desc_t {
        var src = source, dst = destination
        var desc = dnnl_pooling_desc_t()
        try attempt(dnnl_pooling_forward_desc_init(&desc, training ? dnnl_forward_training : dnnl_forward_inference,
                                                   algorithm(kind), &src, &dst, stride.map(Int64.init), kernel.map(Int64.init),
                                                   paddingLow.map(Int64.init), paddingHigh.map(Int64.init)),
                    "\(kind) pooling \(Descriptor.shape(source))→\(Descriptor.shape(destination))")
        return try makePrimitiveDescriptor(&desc, what: "\(kind) pooling")
    }

    static func forwardPrimitive(_ kind: Kind, input: Shape, output: Shape, kernel: [Int], stride: [Int],
                                 paddingLow: [Int], paddingHigh: [Int], layout: Layout, training: Bool) throws -> Primitive {
        let key = "pool \(kind) \(training) \(input) \(output) \(kernel) \(stride) \(paddingLow) \(paddingHigh) \(layout)"
        return try PrimitiveCache.shared.primitive(key) {
            try forwardDescriptor(kind, source: Descriptor.of(input, layout), destination: Descriptor.of(output, layout), kernel: kernel,
                                  stride: stride, paddingLow: paddingLow, paddingHigh: paddingHigh, training: training)
        }
    }

    /// Pools `x`. In training, max pooling also returns oneDNN's workspace (where each maximum
    /// came from), which `backward` needs.
    public static func forward(_ kind: Kind, _ x: Tensor, outputShape: Shape, kernel: [Int], stride: [Int],
                               paddingLow: [Int], paddingHigh: [Int], training: Bool) throws -> (output: Tensor, workspace: AnyObject?) {
        let p = try forwardPrimitive(kind, input: x.shape, output: outputShape, kernel: kernel, stride: stride,
                                     paddingLow: paddingLow, paddingHigh: paddingHigh, layout: x.layout, training: training)
        let y = Tensor(uninitialized: outputShape, layout: x.layout)
        var args: [(Int32, Memory)] = [(DNNL_ARG_SRC, Memory(x)), (DNNL_ARG_DST, Memory(y))]
        var workspace: Memory?
        if training && kind == .max {
            let ws = Memory(allocating: p.memoryDescriptor(dnnl_query_workspace_md))
            args.append((DNNL_ARG_WORKSPACE, ws))
            workspace = ws
        }
        p.execute(args)
        return (y, workspace)
    }

    public static func backward(_ kind: Kind, _ dy: Tensor, inputShape: Shape, kernel: [Int], stride: [Int],
                                paddingLow: [Int], paddingHigh: [Int], workspace: AnyObject?) throws -> Tensor {
        let layout = dy.layout
        let hint = try forwardPrimitive(kind, input: inputShape, output: dy.shape, kernel: kernel, stride: stride,
                                        paddingLow: paddingLow, paddingHigh: paddingHigh, layout: layout, training: true)
        let key = "poolbwd \(kind) \(inputShape) \(dy.shape) \(kernel) \(stride) \(paddingLow) \(paddingHigh) \(layout)"
        let p = try PrimitiveCache.shared.primitive(key) {
            var dsrc = Descriptor.of(inputShape, layout), ddst = Descriptor.of(dy.shape, layout)
            var desc = dnnl_pooling_desc_t()
            try attempt(dnnl_pooling_backward_desc_init(&desc, algorithm(kind), &dsrc, &ddst, stride.map(Int64.init),
                                                        kernel.map(Int64.init), paddingLow.map(Int64.init), paddingHigh.map(Int64.init)),
                        "\(kind) pooling backward")
            return try makePrimitiveDescriptor(&desc, hint: hint, what: "pooling backward")
        }
        let dx = Tensor(uninitialized: inputShape, layout: layout)
        var args: [(Int32, Memory)] = [(DNNL_ARG_DIFF_DST, Memory(dy)), (DNNL_ARG_DIFF_SRC, Memory(dx))]
        if kind == .max {
            guard let ws = workspace as? Memory else { throw PixelwiseError.invalidArgument("max pooling backward without a training forward") }
            args.append((DNNL_ARG_WORKSPACE, ws))
        }
        p.execute(args)
        return dx
    }
}
