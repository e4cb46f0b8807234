import CDNNL
import PixelwiseCore

/// A oneDNN primitive: convolutions (with weights reordered once into the primitive's format),
/// pooling, activations, reorders. `sourceArguments` name the inputs' argument slots; the output is DST.
final class PrimitiveStep: StepKernel {
    let primitive: Primitive?
    let sourceArguments: [Int32]
    let needsWeights: Bool
    /// Weights and bias in the primitive's formats.
    private var constants: [(Int32, Memory)] = []

    init(_ primitive: Primitive, sourceArguments: [Int32], needsWeights: Bool = false) {
        self.primitive = primitive
        self.sourceArguments = sourceArguments
        self.needsWeights = needsWeights
    }

    var ready: Bool { !needsWeights || !constants.isEmpty }
    var weightBytes: Int { constants.reduce(0) { $0 + Descriptor.size($1.1.descriptor) } }

    func run(_ context: StepContext) {
        var args = zip(sourceArguments, context.inputs).map { ($0, $1) } + [(DNNL_ARG_DST, context.output)] + constants
        if let s = context.scratchpad { args.append((DNNL_ARG_SCRATCHPAD, s)) }
        primitive!.execute(args)
    }

    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec) {
        let target = primitive!.memoryDescriptor(dnnl_query_weights_md)
        let user = Memory(ConvolutionKernel.weightDescriptor(weight.shape, transposed: spec.transposed),
                          pointer: UnsafeMutableRawPointer(weight.storage.pointer))
        let w = Memory(allocating: target)
        reorder(user, into: w)
        var constants: [(Int32, Memory)] = [(DNNL_ARG_WEIGHTS, w)]
        if let bias {
            let b = Memory(allocating: Descriptor.of([bias.count], .rowMajor))
            b.pointer.copyMemory(from: bias.storage.pointer, byteCount: bias.count * 4)
            constants.append((DNNL_ARG_BIAS, b))
        }
        self.constants = constants
    }
}

extension InferenceProgram {
    /// Convolution or transposed convolution (weights by `setWeights`), with an optional fused activation.
    public func convolution(_ x: Value, weightShape: Shape, hasBias: Bool, outputShape: Shape, geometry: ConvolutionGeometry,
                            transposed: Bool, activation: EltwiseKernel.Function?, name: String) throws -> (Value, WeightedStep) {
        // Blocked formats pad the channels up to the block (8 on AVX2, 16 on AVX-512): a 2-class
        // classifier would move 4–8× the data, so narrow outputs stay channels-last.
        let choose = chooseFormats && outputShape[1] % 16 == 0
        let primitive = Primitive(descriptor: try ConvolutionKernel.forwardDescriptor(
            input: shapes[x.index], weight: weightShape, hasBias: hasBias, output: outputShape, geometry: geometry,
            transposed: transposed, layout: .channelsLast, training: false, precision: precision,
            attributes: Attributes(activation: activation), anyActivationFormat: choose))
        let source = value(x, in: primitive.memoryDescriptor(dnnl_query_src_md))
        let step = ProgramStep(name: name, inputs: [source.index],
                               kernel: PrimitiveStep(primitive, sourceArguments: [DNNL_ARG_SRC], needsWeights: true),
                               weights: WeightSpec(shape: weightShape, transposed: transposed, hasBias: hasBias))
        return appendWeighted(step, shape: outputShape, format: primitive.memoryDescriptor(dnnl_query_dst_md))
    }

    /// Max pooling without padding or dilation (oneDNN's JIT kernel, set up as in training: `PoolingKernel`).
    public func maxPooling(_ x: Value, kernel: [Int], stride: [Int], outputShape: Shape, name: String) throws -> Value {
        let zeros = kernel.map { _ in 0 }
        let primitive = Primitive(descriptor: try PoolingKernel.forwardDescriptor(
            .max, source: descriptor(x.index), destination: chooseFormats ? Descriptor.any(outputShape, precision) : channelsLastDescriptor(outputShape),
            kernel: kernel, stride: stride, paddingLow: zeros, paddingHigh: zeros, training: false))
        return append(ProgramStep(name: name, inputs: [x.index], kernel: PrimitiveStep(primitive, sourceArguments: [DNNL_ARG_SRC])),
                      shape: outputShape, format: primitive.memoryDescriptor(dnnl_query_dst_md))
    }

    /// An element-wise activation on its own (one that could not be fused into a convolution).
    public func eltwise(_ f: EltwiseKernel.Function, _ x: Value, name: String) throws -> Value {
        let primitive = Primitive(descriptor: try EltwiseKernel.forwardDescriptor(f, data: descriptor(x.index), training: false))
        return append(ProgramStep(name: name, inputs: [x.index], kernel: PrimitiveStep(primitive, sourceArguments: [DNNL_ARG_SRC])),
                      shape: shapes[x.index], format: descriptor(x.index))
    }
}
