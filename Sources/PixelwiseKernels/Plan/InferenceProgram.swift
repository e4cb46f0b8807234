import CDNNL
import Foundation
import PixelwiseCore

/// A network compiled for inference at one input shape: a straight list of steps (fused oneDNN
/// primitives and a few copy kernels) over values that all live in one block of memory.
///
/// Built in two phases. First the steps are added (`convolution`, `maxPooling`, …), which
/// creates their oneDNN primitives; then `finalize(output:)` works out how long each value is
/// alive (from the step that writes it to the last step that reads it), places the values in one
/// arena so that values alive at the same time do not overlap (`ArenaLayout`), and gives every
/// primitive the same scratchpad. Running the program then allocates nothing but its result.
///
/// Every value has a memory format. With `chooseFormats` (the default) each convolution takes and
/// writes activations in the formats oneDNN picks for it — on AVX2 the channel-blocked `nChw8c`,
/// where its kernels run faster than on channels-last (docs/performance.md) — and pooling and activations
/// follow their input's format, so a chain of convolutions runs without a copy between layers.
/// Steps with their own kernels (Winograd, up-sampling, merging, fallbacks) work on channels-last
/// (NHWC / NDHWC); where a step needs a value in another format than the one it was written in, a
/// reorder step is inserted (`value(_:in:)`), once per value and format. Without `chooseFormats`
/// every value is channels-last. All values are in the program's precision; convolution weights
/// are reordered once, by `setWeights`, into the blocked format the primitive chose (and to bf16
/// for `.bfloat16`). Not thread-safe: one run at a time (the arena is shared).
public final class InferenceProgram {
    public struct Value: Hashable, Sendable { public let index: Int }
    /// Identifies a step that takes weights (`setWeights`).
    public struct WeightedStep: Hashable, Sendable { public let index: Int }

    public let precision: Precision
    public let inputShape: Shape
    /// Whether convolutions pick their activation formats (see the type's documentation).
    public let chooseFormats: Bool
    /// Shape of every value, the input first.
    public private(set) var shapes: [Shape]
    /// Memory format of every value.
    private var formats: [dnnl_memory_desc_t]
    /// Values already converted to another format: (value, format) → the converted value.
    private var conversions: [(from: Int, format: dnnl_memory_desc_t, to: Int)] = []
    var steps: [ProgramStep] = []
    private var outputIndex: Int?
    private var arena: UnsafeMutableRawPointer?
    private var memories: [Memory] = []
    private var scratch: UnsafeMutableRawPointer?
    /// The shared workspace of the steps with their own kernels (Winograd, block scatter; they run
    /// one after another).
    private var workspace: UnsafeMutablePointer<Float>?
    private var inputReorders: [Layout: Primitive] = [:]
    private var outputReorder: Primitive?
    /// Bytes of the activation arena and of the shared scratchpad (after `finalize`).
    public private(set) var arenaBytes = 0
    public private(set) var scratchpadBytes = 0
    /// Bytes of the weights in their reordered formats.
    public var weightBytes: Int { steps.reduce(0) { $0 + $1.constantBytes } }
    /// When set, `run` adds each step's wall time to `stepSeconds`.
    public var timing = false
    public private(set) var stepSeconds: [Double] = []

    public init(inputShape: Shape, precision: Precision, chooseFormats: Bool = true) {
        self.inputShape = inputShape
        self.precision = precision
        self.chooseFormats = chooseFormats
        shapes = [inputShape]
        formats = [Descriptor.of(inputShape, InferenceProgram.layout(for: inputShape), precision)]
    }

    public var input: Value { Value(index: 0) }
    public var stepNames: [String] { steps.map(\.name) }
    public var stepCount: Int { steps.count }
    /// Whether step `i` is a reorder inserted by `value(_:in:)` (it computes no graph node).
    public func isReorder(_ i: Int) -> Bool { conversions.contains { $0.to == steps[i].output } }
    /// Whether step `i` writes its result channels-last (NHWC / NDHWC), rather than in a format a
    /// oneDNN convolution chose (channel-blocked `nChw8c` on AVX2; AVX-512's brgconv picks NHWC).
    public func writesChannelsLast(_ i: Int) -> Bool {
        let v = steps[i].output
        return Descriptor.equal(formats[v], channelsLastDescriptor(shapes[v]))
    }
    /// The steps that run by Winograd F(4×4, 3×3).
    public var winogradStepNames: [String] {
        steps.filter { if case .winograd = $0.action { return true } else { return false } }.map(\.name)
    }

    /// The steps that run a transposed convolution as SGEMM + block scatter.
    public var blockScatterStepNames: [String] {
        steps.filter { if case .blockScatter = $0.action { return true } else { return false } }.map(\.name)
    }

    static func layout(for shape: Shape) -> Layout { shape.rank >= 3 ? .channelsLast : .rowMajor }

    func descriptor(_ v: Int) -> dnnl_memory_desc_t { formats[v] }

    /// Channels-last (or plain, below rank 3) in the program's precision.
    func channelsLastDescriptor(_ shape: Shape) -> dnnl_memory_desc_t {
        Descriptor.of(shape, InferenceProgram.layout(for: shape), precision)
    }

    /// Appends `step`, whose result has `shape` in `format` (default: channels-last).
    func append(_ step: ProgramStep, shape: Shape, format: dnnl_memory_desc_t? = nil) -> Value {
        precondition(arena == nil, "InferenceProgram: steps added after finalize")
        shapes.append(shape)
        formats.append(format ?? channelsLastDescriptor(shape))
        step.output = shapes.count - 1
        steps.append(step)
        return Value(index: shapes.count - 1)
    }

    /// `x` in `format`: `x` itself if it is already, else the result of a reorder step (added once).
    func value(_ x: Value, in format: dnnl_memory_desc_t) -> Value {
        if Descriptor.equal(formats[x.index], format) { return x }
        if let done = conversions.first(where: { $0.from == x.index && Descriptor.equal($0.format, format) }) { return Value(index: done.to) }
        var source = formats[x.index], target = format
        var pd: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&pd, &source, Engine.shared.engine, &target, Engine.shared.engine, nil), "reorder")
        let producer = steps.first { $0.output == x.index }?.name ?? "input"
        let step = ProgramStep(name: "\(producer) (reorder)", inputs: [x.index],
                               action: .primitive(Primitive(descriptor: pd!), sourceArguments: [DNNL_ARG_FROM]))
        let converted = append(step, shape: shapes[x.index], format: format)
        conversions.append((x.index, format, converted.index))
        return converted
    }

    /// `x` channels-last, for the steps with their own kernels.
    func channelsLast(_ x: Value) -> Value { value(x, in: channelsLastDescriptor(shapes[x.index])) }

    // MARK: Steps

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
        let step = ProgramStep(name: name, inputs: [source.index], action: .primitive(primitive, sourceArguments: [DNNL_ARG_SRC]))
        step.weights = WeightSpec(shape: weightShape, transposed: transposed, hasBias: hasBias)
        let v = append(step, shape: outputShape, format: primitive.memoryDescriptor(dnnl_query_dst_md))
        return (v, WeightedStep(index: steps.count - 1))
    }

    /// A 3×3, stride-1 convolution by Winograd F(4×4, 3×3) (`WinogradConvolution`; fp32 only),
    /// with optional fused ReLU. Weights by `setWeights`, like `convolution`.
    public func winogradConvolution(_ x: Value, weightShape: Shape, hasBias: Bool, outputShape: Shape, geometry: ConvolutionGeometry,
                                    relu: Bool, name: String) -> (Value, WeightedStep) {
        precondition(precision == .float32 && weightShape.rank == 4 && WinogradConvolution.applies(kernel: weightShape.spatial, geometry: geometry),
                     "\(name): Winograd F(4×4, 3×3) needs an fp32 3×3 stride-1 convolution")
        let kernel = WinogradConvolution(inputChannels: weightShape[1], outputChannels: weightShape[0], relu: relu)
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index],
                               action: .winograd(kernel, padTop: geometry.paddingLow[0], padLeft: geometry.paddingLow[1]))
        step.weights = WeightSpec(shape: weightShape, transposed: false, hasBias: hasBias)
        let v = append(step, shape: outputShape)
        return (v, WeightedStep(index: steps.count - 1))
    }

    /// A transposed convolution whose kernel equals its stride (U-Net's 2×2 up-convolution) as one
    /// SGEMM and a block scatter (`BlockTransposedConvolution`; fp32, channels-last), with optional
    /// fused ReLU. oneDNN 2.6 runs these as slow general deconvolutions (docs/performance.md).
    /// Weights by `setWeights`, like `convolution`.
    public func blockTransposedConvolution(_ x: Value, weightShape: Shape, hasBias: Bool, relu: Bool, name: String) -> (Value, WeightedStep) {
        let blocks = Blocks(input: shapes[x.index], weight: weightShape, chunkRows: nil)
        precondition(precision == .float32, "\(name): the block-scatter up-convolution is fp32")
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index], action: .blockScatter(BlockScatterWeights(blocks: blocks, relu: relu)))
        step.weights = WeightSpec(shape: weightShape, transposed: true, hasBias: hasBias)
        let v = append(step, shape: blocks.outputShape)
        return (v, WeightedStep(index: steps.count - 1))
    }

    /// Reorders `weight` (PyTorch's OIHW, or IOHW when transposed) into the step's chosen format
    /// and precision, and keeps `bias` (fp32). Call again whenever the parameters change.
    public func setWeights(_ step: WeightedStep, weight: Tensor, bias: Tensor?) {
        let s = steps[step.index]
        guard let spec = s.weights else { preconditionFailure("setWeights on a step without weights") }
        precondition(weight.shape == spec.shape && (bias != nil) == spec.hasBias, "setWeights: \(weight.shape) for \(spec.shape)")
        if case .winograd(let kernel, _, _) = s.action {
            let w = weight.inLayout(.rowMajor), b = bias?.inLayout(.rowMajor)
            w.withUnsafeBufferPointer { wp in
                if let b { b.withUnsafeBufferPointer { kernel.setWeights(wp.baseAddress!, bias: $0.baseAddress!) } } else { kernel.setWeights(wp.baseAddress!, bias: nil) }
            }
            s.winogradWeightsSet = true
            return
        }
        if case .blockScatter(let kernel) = s.action {
            kernel.weights = kernel.blocks.gemmWeights(from: weight)
            kernel.bias = bias?.inLayout(.rowMajor).storageScalars
            return
        }
        guard case .primitive(let p, _) = s.action else { preconditionFailure("setWeights on a step without weights") }
        let target = p.memoryDescriptor(dnnl_query_weights_md)
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
        s.constants = constants
    }

    /// Max pooling without padding or dilation (oneDNN's JIT kernel).
    public func maxPooling(_ x: Value, kernel: [Int], stride: [Int], outputShape: Shape, name: String) throws -> Value {
        var src = descriptor(x.index), dst = chooseFormats ? Descriptor.any(outputShape, precision) : channelsLastDescriptor(outputShape)
        let zeros = kernel.map { _ in Int64(0) }
        var desc = dnnl_pooling_desc_t()
        try attempt(dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, &src, &dst, stride.map(Int64.init),
                                                   kernel.map(Int64.init), zeros, zeros), "max pooling \(shapes[x.index])")
        let primitive = Primitive(descriptor: try makePrimitiveDescriptor(&desc, attributes: Attributes(), what: "max pooling"))
        return append(ProgramStep(name: name, inputs: [x.index], action: .primitive(primitive, sourceArguments: [DNNL_ARG_SRC])),
                      shape: outputShape, format: primitive.memoryDescriptor(dnnl_query_dst_md))
    }

    /// An element-wise activation on its own (one that could not be fused into a convolution).
    public func eltwise(_ f: EltwiseKernel.Function, _ x: Value, name: String) throws -> Value {
        var data = descriptor(x.index)
        var desc = dnnl_eltwise_desc_t()
        try attempt(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, f.algorithm, &data, f.alpha, 0), "eltwise \(f)")
        let pd = try makePrimitiveDescriptor(&desc, attributes: Attributes(), what: "eltwise")
        return append(ProgramStep(name: name, inputs: [x.index], action: .primitive(Primitive(descriptor: pd), sourceArguments: [DNNL_ARG_SRC])),
                      shape: shapes[x.index], format: formats[x.index])
    }

    /// Nearest-neighbour up-sampling by integer factors (H, W) or (D, H, W).
    public func upsampleNearest(_ x: Value, factor: [Int], name: String) -> Value {
        let s = shapes[x.index]
        let out = Shape([s[0], s[1]] + zip(s.spatial, factor).map { $0 * $1 })
        return append(ProgramStep(name: name, inputs: [channelsLast(x).index], action: .upsampleNearest(factor: factor)), shape: out)
    }

    /// concat_C(a, centre-crop(b)): Caffe's MergeCrop (plain concatenation when the sizes agree).
    public func mergeCrop(_ a: Value, _ b: Value, name: String) -> Value {
        var out = shapes[a.index]
        out[1] += shapes[b.index][1]
        return append(ProgramStep(name: name, inputs: [channelsLast(a).index, channelsLast(b).index], action: .mergeCrop), shape: out)
    }

    /// Any other layer: its inputs are handed over as fp32 channels-last tensors and its result
    /// converted back (correct for every layer, fast for none).
    public func fallback(_ inputs: [Value], outputShape: Shape, name: String, _ body: @escaping ([Tensor]) throws -> Tensor) -> Value {
        append(ProgramStep(name: name, inputs: inputs.map(\.index), action: .fallback(body)), shape: outputShape)
    }

    // MARK: Finalize and run

    /// Plans the arena with `output` as the result; no steps can be added afterwards.
    public func finalize(output: Value) {
        precondition(arena == nil, "InferenceProgram: finalize called twice")
        outputIndex = output.index
        // Time 0 writes the input, step i runs at time i + 1, the result is read at time steps.count + 1.
        var first = [Int](repeating: 0, count: shapes.count), last = [Int](repeating: 0, count: shapes.count)
        for (i, step) in steps.enumerated() {
            first[step.output] = i + 1
            last[step.output] = i + 1
            for v in step.inputs { last[v] = max(last[v], i + 1) }
        }
        last[output.index] = steps.count + 1
        let requests = shapes.indices.map { ArenaLayout.Request(bytes: Descriptor.size(formats[$0]), first: first[$0], last: last[$0]) }
        let (offsets, total) = ArenaLayout.place(requests)
        arenaBytes = total
        // Hand memory freed while the network was built (initial weights replaced by loaded
        // ones) back to the system first: glibc keeps freed heap blocks, which would otherwise
        // stay resident next to the arena.
        pw_malloc_trim()
        arena = InferenceProgram.allocate(total)
        memories = shapes.indices.map { Memory(descriptor($0), pointer: arena! + offsets[$0]) }

        for step in steps {
            if case .primitive(let p, _) = step.action {
                var md = p.memoryDescriptor(dnnl_query_scratchpad_md)
                scratchpadBytes = max(scratchpadBytes, dnnl_memory_desc_get_size(&md))
            }
        }
        scratch = InferenceProgram.allocate(scratchpadBytes)
        var workspaceFloats = 0
        for step in steps {
            switch step.action {
            case .winograd(let kernel, _, _):
                workspaceFloats = max(workspaceFloats, kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: shapes[step.output])))
            case .blockScatter(let kernel):
                workspaceFloats = max(workspaceFloats, kernel.blocks.workspaceFloats)
            default: break
            }
        }
        if workspaceFloats > 0 {
            workspace = InferenceProgram.allocate(workspaceFloats * 4).bindMemory(to: Float.self, capacity: workspaceFloats)
            scratchpadBytes += workspaceFloats * 4
        }
        for step in steps {
            if case .primitive(let p, _) = step.action {
                var md = p.memoryDescriptor(dnnl_query_scratchpad_md)
                if dnnl_memory_desc_get_size(&md) > 0 { step.scratchpad = Memory(md, pointer: scratch!) }
            }
        }
        var target = Descriptor.of(shapes[output.index], InferenceProgram.layout(for: shapes[output.index]))
        var source = descriptor(output.index)
        var pd: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&pd, &source, Engine.shared.engine, &target, Engine.shared.engine, nil), "reorder")
        outputReorder = Primitive(descriptor: pd!)
        stepSeconds = [Double](repeating: 0, count: steps.count)
    }

    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else {
            fatalError("Pixelwise: out of memory allocating a \(bytes)-byte plan arena")
        }
        return raw
    }

    /// Runs the program on `input` (fp32, any layout, of `inputShape`); the result is fp32 channels-last.
    public func run(_ input: Tensor) throws -> Tensor {
        guard let outputIndex else { preconditionFailure("InferenceProgram: run before finalize") }
        guard input.shape == inputShape else {
            throw PixelwiseError.shapeMismatch("this plan takes \(inputShape), got \(input.shape)")
        }
        let inReorder = inputReorder(for: input.layout)
        inReorder.execute([(DNNL_ARG_FROM, Memory(input)), (DNNL_ARG_TO, memories[0])])
        for (i, step) in steps.enumerated() {
            let start = timing ? DispatchTime.now().uptimeNanoseconds : 0
            try execute(step)
            if timing { stepSeconds[i] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
        let shape = shapes[outputIndex]
        let y = Tensor(uninitialized: shape, layout: InferenceProgram.layout(for: shape))
        outputReorder!.execute([(DNNL_ARG_FROM, memories[outputIndex]), (DNNL_ARG_TO, Memory(y))])
        return y
    }

    public func resetTiming() { stepSeconds = stepSeconds.map { _ in 0 } }

    private func inputReorder(for layout: Layout) -> Primitive {
        if let p = inputReorders[layout] { return p }
        var source = Descriptor.of(inputShape, layout), target = descriptor(0)
        var pd: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&pd, &source, Engine.shared.engine, &target, Engine.shared.engine, nil), "reorder")
        let p = Primitive(descriptor: pd!)
        inputReorders[layout] = p
        return p
    }

    private func execute(_ step: ProgramStep) throws {
        let out = memories[step.output]
        switch step.action {
        case .primitive(let p, let sourceArguments):
            precondition(step.weights == nil || !step.constants.isEmpty, "\(step.name): setWeights was not called")
            var args = zip(sourceArguments, step.inputs).map { ($0, memories[$1]) } + [(DNNL_ARG_DST, out)] + step.constants
            if let s = step.scratchpad { args.append((DNNL_ARG_SCRATCHPAD, s)) }
            p.execute(args)
        case .winograd(let kernel, let padTop, let padLeft):
            precondition(step.winogradWeightsSet, "\(step.name): setWeights was not called")
            let x = shapes[step.inputs[0]], y = shapes[step.output]
            kernel.forward(UnsafePointer(memories[step.inputs[0]].pointer.assumingMemoryBound(to: Float.self)), batch: x[0], height: x[2], width: x[3],
                           padTop: padTop, padLeft: padLeft, into: out.pointer.assumingMemoryBound(to: Float.self),
                           outputHeight: y[2], outputWidth: y[3], workspace: workspace!)
        case .blockScatter(let kernel):
            precondition(!kernel.weights.isEmpty, "\(step.name): setWeights was not called")
            BlockTransposedConvolution.forward(UnsafePointer(memories[step.inputs[0]].pointer.assumingMemoryBound(to: Float.self)),
                                               blocks: kernel.blocks, gemmWeights: kernel.weights, bias: kernel.bias, relu: kernel.relu,
                                               workspace: workspace!, into: out.pointer.assumingMemoryBound(to: Float.self))
        case .upsampleNearest(let factor):
            CopyKernels.upsampleNearest(from: memories[step.inputs[0]].pointer, shape: shapes[step.inputs[0]], factor: factor,
                                        into: out.pointer, elementBytes: precision.bytes)
        case .mergeCrop:
            let a = step.inputs[0], b = step.inputs[1]
            CopyKernels.mergeCrop(memories[a].pointer, shapes[a], memories[b].pointer, shapes[b], into: out.pointer, elementBytes: precision.bytes)
        case .fallback(let body):
            let tensors = step.inputs.map { v -> Tensor in
                let t = Tensor(uninitialized: shapes[v], layout: InferenceProgram.layout(for: shapes[v]))
                reorder(memories[v], into: Memory(t))
                return t
            }
            let y = try body(tensors)
            guard y.shape == shapes[step.output] else {
                throw PixelwiseError.shapeMismatch("\(step.name): gave \(y.shape), the plan expected \(shapes[step.output])")
            }
            reorder(Memory(y), into: out)
        }
    }

    deinit {
        memories = []
        for step in steps { step.scratchpad = nil }
        if let arena { free(arena) }
        if let scratch { free(scratch) }
        if let workspace { free(workspace) }
    }
}

/// What a convolution step's weights look like in PyTorch's layout.
struct WeightSpec {
    let shape: Shape
    let transposed: Bool
    let hasBias: Bool
}

/// One step of an `InferenceProgram`.
final class ProgramStep {
    enum Action {
        /// A oneDNN primitive; `sourceArguments` name the inputs' argument slots, the output is DST.
        case primitive(Primitive, sourceArguments: [Int32])
        /// A Winograd 3×3 convolution; the zero padding before the first row and column.
        case winograd(WinogradConvolution, padTop: Int, padLeft: Int)
        /// A kernel == stride transposed convolution as SGEMM + block scatter.
        case blockScatter(BlockScatterWeights)
        case upsampleNearest(factor: [Int])
        case mergeCrop
        case fallback(([Tensor]) throws -> Tensor)
    }

    let name: String
    let inputs: [Int]
    var output = -1
    let action: Action
    var weights: WeightSpec?
    /// Weights and bias in the primitive's formats.
    var constants: [(Int32, Memory)] = []
    var scratchpad: Memory?
    var winogradWeightsSet = false

    init(name: String, inputs: [Int], action: Action) {
        self.name = name
        self.inputs = inputs
        self.action = action
    }

    var constantBytes: Int {
        if case .winograd(let k, _, _) = action { return 36 * k.inputChannels * k.outputChannels * 4 + k.outputChannels * 4 }
        if case .blockScatter(let k) = action { return (k.weights.count + (k.bias?.count ?? 0)) * 4 }
        return constants.reduce(0) { $0 + Descriptor.size($1.1.descriptor) }
    }
}

/// A block-scatter step's geometry and its weights in GEMM order (set by `setWeights`).
final class BlockScatterWeights {
    let blocks: Blocks
    let relu: Bool
    var weights: [Float] = []
    var bias: [Float]?

    init(blocks: Blocks, relu: Bool) {
        self.blocks = blocks
        self.relu = relu
    }
}
