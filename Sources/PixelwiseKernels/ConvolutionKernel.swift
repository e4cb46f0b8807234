import CDNNL
import Foundation
import PixelwiseCore

/// Where a convolution's kernel visits the input: per spatial axis (H, W) or (D, H, W).
/// `dilation` is Tschopp's kernel stride d (1 = dense kernel), unlike oneDNN's d − 1.
public struct ConvolutionGeometry: Hashable, Sendable, CustomStringConvertible {
    public var stride: [Int]
    public var dilation: [Int]
    public var paddingLow: [Int]
    public var paddingHigh: [Int]

    public init(stride: [Int], dilation: [Int], paddingLow: [Int], paddingHigh: [Int]) {
        self.stride = stride
        self.dilation = dilation
        self.paddingLow = paddingLow
        self.paddingHigh = paddingHigh
    }

    public var description: String { "s\(stride)d\(dilation)p\(paddingLow)\(paddingHigh)" }
    var oneDNNDilation: [Int64] { dilation.map { Int64($0 - 1) } }
}

/// Convolution and transposed convolution on oneDNN, forward and both backward passes.
///
/// Activations are passed in their own layout (channels-last keeps oneDNN on its fast `brgconv`
/// kernels; plain NCHW makes it fall back to GEMM). Weights are stored as PyTorch stores them —
/// OIHW for convolution, IOHW for transposed convolution — and reordered into the blocked format
/// oneDNN picks on each call (weights are small next to activations).
public enum ConvolutionKernel {
    /// Convolutions for which oneDNN has no bf16 kernel (`BackendFailure.Kind.unimplemented`; on
    /// CPUs without bf16 arithmetic that is all of them, and `Precision.effective` already asks for
    /// fp32 there): in mixed precision these run in fp32 — forward and both backward passes, so a
    /// layer never mixes the two. A real cache (what oneDNN can do, learned on first failure),
    /// shared by every graph, behind a lock.
    private static let fp32Only = LockedSet()

    /// Runs `body` in the options' precision, or in fp32 where oneDNN does not implement bf16 for
    /// this convolution (`shapeKey`; learned on first failure and remembered).
    static func inSupportedPrecision<T>(_ shapeKey: String, _ options: ExecutionOptions, _ body: (Precision) throws -> T) throws -> T {
        guard options.precision == .bfloat16 else { return try body(options.precision) }
        if fp32Only.contains(shapeKey) { return try body(.float32) }
        do { return try body(.bfloat16) } catch PixelwiseError.backend(let failure) where failure.kind == .unimplemented {
            fp32Only.insert(shapeKey)
            return try body(.float32)
        }
    }

    static func shapeKey(_ input: Shape, _ weight: Shape, _ output: Shape, _ g: ConvolutionGeometry, _ transposed: Bool, _ layout: Layout) -> String {
        "\(transposed ? "T" : "C") \(input) \(weight) \(output) \(g) \(layout)"
    }

    static func weightDescriptor(_ shape: Shape, transposed: Bool) -> dnnl_memory_desc_t {
        guard transposed else { return Descriptor.of(shape, .rowMajor) }
        // `shape` is PyTorch's (in, out, k…); oneDNN wants dims (out, in, k…) in IOHW order.
        var dims = Descriptor.dims(shape)
        dims.swapAt(0, 1)
        var md = dnnl_memory_desc_t()
        let tag = shape.rank == 4 ? dnnl_iohw : dnnl_iodhw
        check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims, dnnl_f32, tag), "iohw desc")
        return md
    }

    /// Weight dims in oneDNN's (out, in, k…) order.
    static func oneDNNWeightDims(_ shape: Shape, transposed: Bool) -> Shape {
        var d = shape.dims
        if transposed { d.swapAt(0, 1) }
        return Shape(d)
    }

    /// A forward primitive descriptor. `precision` is that of activations and weights (the bias
    /// stays fp32); `attributes` carry post-ops and the scratchpad mode of compiled plans.
    /// `outputPrecision` that of the result (default: `precision`). With `anyActivationFormat`
    /// oneDNN also picks the source and destination formats (the caller reorders to and from them).
    static func forwardDescriptor(input: Shape, weight: Shape, hasBias: Bool, output: Shape, geometry g: ConvolutionGeometry,
                                  transposed: Bool, layout: Layout, training: Bool, precision: Precision = .float32,
                                  outputPrecision: Precision? = nil, attributes: Attributes? = nil,
                                  anyActivationFormat: Bool = false) throws -> dnnl_primitive_desc_t {
        var src = anyActivationFormat ? Descriptor.any(input, precision) : Descriptor.of(input, layout, precision)
        var dst = anyActivationFormat ? Descriptor.any(output, outputPrecision ?? precision)
                                      : Descriptor.of(output, layout, outputPrecision ?? precision)
        var w = Descriptor.any(oneDNNWeightDims(weight, transposed: transposed), precision)
        var b = Descriptor.of([output[1]], .rowMajor)
        let strides = g.stride.map(Int64.init), dil = g.oneDNNDilation
        let pl = g.paddingLow.map(Int64.init), ph = g.paddingHigh.map(Int64.init)
        let prop = training ? dnnl_forward_training : dnnl_forward_inference
        if transposed {
            var desc = dnnl_deconvolution_desc_t()
            try attempt(hasBias
                ? dnnl_dilated_deconvolution_forward_desc_init(&desc, prop, dnnl_deconvolution_direct, &src, &w, &b, &dst, strides, dil, pl, ph)
                : dnnl_dilated_deconvolution_forward_desc_init(&desc, prop, dnnl_deconvolution_direct, &src, &w, nil, &dst, strides, dil, pl, ph),
                "transposed convolution \(input)→\(output) \(g)")
            return try makePrimitiveDescriptor(&desc, attributes: attributes, what: "transposed convolution \(input)→\(output)")
        }
        var desc = dnnl_convolution_desc_t()
        try attempt(hasBias
            ? dnnl_dilated_convolution_forward_desc_init(&desc, prop, dnnl_convolution_direct, &src, &w, &b, &dst, strides, dil, pl, ph)
            : dnnl_dilated_convolution_forward_desc_init(&desc, prop, dnnl_convolution_direct, &src, &w, nil, &dst, strides, dil, pl, ph),
            "convolution \(input)→\(output) \(g)")
        return try makePrimitiveDescriptor(&desc, attributes: attributes, what: "convolution \(input)→\(output)")
    }

    static func key(_ kind: String, _ input: Shape, _ weight: Shape, _ bias: Bool, _ output: Shape, _ g: ConvolutionGeometry,
                    _ transposed: Bool, _ layout: Layout, _ precision: Precision) -> String {
        "\(kind) \(transposed ? "T" : "C") \(input) \(weight) \(bias) \(output) \(g) \(layout) \(precision)"
    }

    /// y = conv(x, w) + b. `training` keeps what oneDNN's backward passes need; the algorithm and
    /// the operand precision come from `options` (`AlgorithmChooser`).
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, outputShape: Shape, geometry: ConvolutionGeometry,
                               transposed: Bool, training: Bool, options: ExecutionOptions = ExecutionOptions()) throws -> Tensor {
        guard training else {
            return try forward(x, weight: weight, bias: bias, outputShape: outputShape, geometry: geometry,
                               transposed: transposed, training: false, precision: .float32)
        }
        let problem = ConvolutionProblem(stage: .training, pass: .forward, input: x.shape, weight: weight.shape, geometry: geometry,
                                         transposed: transposed, layout: x.layout)
        if let tile = AlgorithmChooser.choose(for: problem, options: options).winogradTile {
            return WinogradTraining.forward(x, weight: weight, bias: bias, outputShape: outputShape, geometry: geometry, tile: tile)
        }
        return try inSupportedPrecision(shapeKey(x.shape, weight.shape, outputShape, geometry, transposed, x.layout), options) {
            try forward(x, weight: weight, bias: bias, outputShape: outputShape, geometry: geometry,
                        transposed: transposed, training: true, precision: $0)
        }
    }

    /// The direct convolution with `precision` operands (fp32 accumulation and output).
    private static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, outputShape: Shape, geometry: ConvolutionGeometry,
                                transposed: Bool, training: Bool, precision: Precision) throws -> Tensor {
        let k = key("fwd\(training)", x.shape, weight.shape, bias != nil, outputShape, geometry, transposed, x.layout, precision)
        let p = try PrimitiveCache.shared.primitive(k) {
            try forwardDescriptor(input: x.shape, weight: weight.shape, hasBias: bias != nil, output: outputShape,
                                  geometry: geometry, transposed: transposed, layout: x.layout, training: training,
                                  precision: precision, outputPrecision: .float32,
                                  anyActivationFormat: training)
        }
        let y = Tensor(uninitialized: outputShape, layout: x.layout)
        let userWeight = Memory(weightDescriptor(weight.shape, transposed: transposed),
                                pointer: UnsafeMutableRawPointer(weight.storage.pointer))
        let w = reordered(userWeight, to: p.memoryDescriptor(dnnl_query_weights_md))
        let src = reordered(Memory(x), to: p.memoryDescriptor(dnnl_query_src_md))  // to bf16 in mixed precision
        writing(into: Memory(y), as: p.memoryDescriptor(dnnl_query_dst_md)) { out in
            var args: [(Int32, Memory)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DST, out)]
            if let bias { args.append((DNNL_ARG_BIAS, Memory(bias))) }
            p.execute(args)
        }
        return y
    }

    /// dL/dx from dL/dy.
    public static func backwardData(_ dy: Tensor, weight: Tensor, inputShape: Shape, geometry g: ConvolutionGeometry,
                                    transposed: Bool, options: ExecutionOptions = ExecutionOptions()) throws -> Tensor {
        // Keyed channels-last whatever dy's layout (every candidate takes either): the key a
        // recorded table (`Graph.trainingConvolutionProblems`) holds.
        let problem = ConvolutionProblem(stage: .training, pass: .backwardData, input: dy.shape, weight: weight.shape, geometry: g,
                                         transposed: transposed, layout: .channelsLast)
        if let tile = AlgorithmChooser.choose(for: problem, options: options).winogradTile {
            return WinogradTraining.backwardData(dy, weight: weight, inputShape: inputShape, geometry: g, tile: tile)
        }
        return try inSupportedPrecision(shapeKey(inputShape, weight.shape, dy.shape, g, transposed, dy.layout), options) {
            try backwardData(dy, weight: weight, inputShape: inputShape, geometry: g, transposed: transposed, precision: $0)
        }
    }

    private static func backwardData(_ dy: Tensor, weight: Tensor, inputShape: Shape, geometry g: ConvolutionGeometry,
                                     transposed: Bool, precision: Precision) throws -> Tensor {
        let layout = dy.layout
        let hint = try PrimitiveCache.shared.primitive(key("fwdtrue", inputShape, weight.shape, false, dy.shape, g, transposed, layout, precision)) {
            try forwardDescriptor(input: inputShape, weight: weight.shape, hasBias: false, output: dy.shape,
                                  geometry: g, transposed: transposed, layout: layout, training: true,
                                  precision: precision, outputPrecision: .float32, anyActivationFormat: true)
        }
        let p = try PrimitiveCache.shared.primitive(key("bwdd", inputShape, weight.shape, false, dy.shape, g, transposed, layout, precision)) {
            // Like the forward pass, in the formats oneDNN picks (see the direct `forward`).
            var dsrc = Descriptor.any(inputShape), ddst = Descriptor.any(dy.shape, precision)
            var w = Descriptor.any(oneDNNWeightDims(weight.shape, transposed: transposed), precision)
            let strides = g.stride.map(Int64.init), dil = g.oneDNNDilation
            let pl = g.paddingLow.map(Int64.init), ph = g.paddingHigh.map(Int64.init)
            if transposed {
                var desc = dnnl_deconvolution_desc_t()
                try attempt(dnnl_dilated_deconvolution_backward_data_desc_init(&desc, dnnl_deconvolution_direct, &dsrc, &w, &ddst,
                                                                                strides, dil, pl, ph), "transposed convolution backward data")
                return try makePrimitiveDescriptor(&desc, hint: hint, what: "transposed convolution backward data")
            }
            var desc = dnnl_convolution_desc_t()
            try attempt(dnnl_dilated_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &dsrc, &w, &ddst,
                                                                          strides, dil, pl, ph), "convolution backward data")
            return try makePrimitiveDescriptor(&desc, hint: hint, what: "convolution backward data")
        }
        let dx = Tensor(uninitialized: inputShape, layout: layout)
        let userWeight = Memory(weightDescriptor(weight.shape, transposed: transposed),
                                pointer: UnsafeMutableRawPointer(weight.storage.pointer))
        let w = reordered(userWeight, to: p.memoryDescriptor(dnnl_query_weights_md))
        let ddst = reordered(Memory(dy), to: p.memoryDescriptor(dnnl_query_diff_dst_md))
        writing(into: Memory(dx), as: p.memoryDescriptor(dnnl_query_diff_src_md)) { out in
            p.execute([(DNNL_ARG_DIFF_DST, ddst), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DIFF_SRC, out)])
        }
        return dx
    }

    /// dL/dw (in the stored layout) and dL/db from dL/dy and the forward input x.
    public static func backwardWeights(_ dy: Tensor, input x: Tensor, weightShape: Shape, hasBias: Bool, geometry g: ConvolutionGeometry,
                                       transposed: Bool, options: ExecutionOptions = ExecutionOptions()) throws -> (weight: Tensor, bias: Tensor?) {
        precondition(dy.layout == x.layout, "backwardWeights: layouts of dy and x differ")
        let problem = ConvolutionProblem(stage: .training, pass: .backwardWeights, input: x.shape, weight: weightShape, geometry: g,
                                         transposed: transposed, layout: x.layout)
        switch AlgorithmChooser.choose(for: problem, options: options) {
        case .winograd:
            return WinogradTraining.backwardWeights(dy, input: x, weightShape: weightShape, hasBias: hasBias, geometry: g)
        case .winograd2 where weightShape.rank == 5:
            return WinogradTraining.backwardWeights(dy, input: x, weightShape: weightShape, hasBias: hasBias, geometry: g, tile: 2)
        case .shiftedWeightGradient:
            return ShiftedWeightGradient.weightGradient(dy, input: x, weightShape: weightShape, hasBias: hasBias, geometry: g)
        case .direct, .blockScatter, .winograd2, .winograd6:
            return try inSupportedPrecision(shapeKey(x.shape, weightShape, dy.shape, g, transposed, x.layout), options) {
                try backwardWeights(dy, input: x, weightShape: weightShape, hasBias: hasBias, geometry: g, transposed: transposed, precision: $0)
            }
        }
    }

    private static func backwardWeights(_ dy: Tensor, input x: Tensor, weightShape: Shape, hasBias: Bool, geometry g: ConvolutionGeometry,
                                        transposed: Bool, precision: Precision) throws -> (weight: Tensor, bias: Tensor?) {
        let layout = x.layout
        let hint = try PrimitiveCache.shared.primitive(key("fwdtrue", x.shape, weightShape, hasBias, dy.shape, g, transposed, layout, precision)) {
            try forwardDescriptor(input: x.shape, weight: weightShape, hasBias: hasBias, output: dy.shape,
                                  geometry: g, transposed: transposed, layout: layout, training: true,
                                  precision: precision, outputPrecision: .float32, anyActivationFormat: true)
        }
        let p = try PrimitiveCache.shared.primitive(key("bwdw", x.shape, weightShape, hasBias, dy.shape, g, transposed, layout, precision)) {
            // x and dL/dy in the layout oneDNN prefers (they are reordered into it below): its NHWC
            // backward-weights kernel for AVX2 is the slow one (forward and backward data run at the
            // same speed in both; figures in docs/performance.md).
            var src = Descriptor.any(x.shape, precision), ddst = Descriptor.any(dy.shape, precision)
            var dw = Descriptor.any(oneDNNWeightDims(weightShape, transposed: transposed))
            var db = Descriptor.of([dy.shape[1]], .rowMajor)
            let strides = g.stride.map(Int64.init), dil = g.oneDNNDilation
            let pl = g.paddingLow.map(Int64.init), ph = g.paddingHigh.map(Int64.init)
            if transposed {
                var desc = dnnl_deconvolution_desc_t()
                try attempt(hasBias
                    ? dnnl_dilated_deconvolution_backward_weights_desc_init(&desc, dnnl_deconvolution_direct, &src, &dw, &db, &ddst, strides, dil, pl, ph)
                    : dnnl_dilated_deconvolution_backward_weights_desc_init(&desc, dnnl_deconvolution_direct, &src, &dw, nil, &ddst, strides, dil, pl, ph),
                    "transposed convolution backward weights")
                return try makePrimitiveDescriptor(&desc, hint: hint, what: "transposed convolution backward weights")
            }
            var desc = dnnl_convolution_desc_t()
            try attempt(hasBias
                ? dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src, &dw, &db, &ddst, strides, dil, pl, ph)
                : dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src, &dw, nil, &ddst, strides, dil, pl, ph),
                "convolution backward weights")
            return try makePrimitiveDescriptor(&desc, hint: hint, what: "convolution backward weights")
        }
        let dwChosen = Memory(allocating: p.memoryDescriptor(dnnl_query_diff_weights_md))
        let src = reordered(Memory(x), to: p.memoryDescriptor(dnnl_query_src_md))
        let ddst = reordered(Memory(dy), to: p.memoryDescriptor(dnnl_query_diff_dst_md))
        var args: [(Int32, Memory)] = [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, ddst), (DNNL_ARG_DIFF_WEIGHTS, dwChosen)]
        var db: Tensor?
        if hasBias {
            let b = Tensor(uninitialized: [dy.shape[1]])
            args.append((DNNL_ARG_DIFF_BIAS, Memory(b)))
            db = b
        }
        p.execute(args)
        let dw = Tensor(uninitialized: weightShape)
        reorder(dwChosen, into: Memory(weightDescriptor(weightShape, transposed: transposed), pointer: UnsafeMutableRawPointer(dw.storage.pointer)))
        return (dw, db)
    }
}
