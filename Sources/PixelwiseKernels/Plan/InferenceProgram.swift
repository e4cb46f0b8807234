import CDNNL
import Foundation
import PixelwiseCore

/// A network compiled for inference at one input shape: a straight list of steps (fused oneDNN
/// primitives and a few copy kernels) over values that all live in one block of memory.
///
/// Built in two phases. First the steps are added (`convolution`, `maxPooling`, …: each kind of
/// step is a `StepKernel` type with its builder, in its own file under `Plan/Steps/`), which
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
    public var weightBytes: Int { steps.reduce(0) { $0 + $1.kernel.weightBytes } }
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
    /// The names of the steps whose kernel is a `K` (e.g. `WinogradStep`).
    func stepNames<K: StepKernel>(running kind: K.Type) -> [String] { steps.filter { $0.kernel is K }.map(\.name) }
    /// Whether step `i` writes its result channels-last (NHWC / NDHWC), rather than in a format a
    /// oneDNN convolution chose (channel-blocked `nChw8c` on AVX2; AVX-512's brgconv picks NHWC).
    public func writesChannelsLast(_ i: Int) -> Bool {
        let v = steps[i].output
        return Descriptor.equal(formats[v], channelsLastDescriptor(shapes[v]))
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
                               kernel: PrimitiveStep(Primitive(descriptor: pd!), sourceArguments: [DNNL_ARG_FROM]))
        let converted = append(step, shape: shapes[x.index], format: format)
        conversions.append((x.index, format, converted.index))
        return converted
    }

    /// `x` channels-last, for the steps with their own kernels.
    func channelsLast(_ x: Value) -> Value { value(x, in: channelsLastDescriptor(shapes[x.index])) }

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
            if let p = step.kernel.primitive {
                var md = p.memoryDescriptor(dnnl_query_scratchpad_md)
                scratchpadBytes = max(scratchpadBytes, dnnl_memory_desc_get_size(&md))
            }
        }
        scratch = InferenceProgram.allocate(scratchpadBytes)
        let workspaceFloats = steps.map { $0.kernel.workspaceFloats(output: shapes[$0.output]) }.max() ?? 0
        if workspaceFloats > 0 {
            workspace = InferenceProgram.allocate(workspaceFloats * 4).bindMemory(to: Float.self, capacity: workspaceFloats)
            scratchpadBytes += workspaceFloats * 4
        }
        for step in steps {
            if let p = step.kernel.primitive {
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
        precondition(step.kernel.ready, "\(step.name): setWeights was not called")
        do {
            try step.kernel.run(StepContext(name: step.name, inputs: step.inputs.map { memories[$0] }, inputShapes: step.inputs.map { shapes[$0] },
                                            output: memories[step.output], outputShape: shapes[step.output], scratchpad: step.scratchpad,
                                            workspace: workspace, precision: precision))
        } catch let error as PixelwiseError {
            throw error.located(at: step.name)
        }
    }

    /// Reorders `weight` (PyTorch's OIHW, or IOHW when transposed) into the step's chosen format
    /// and precision, and keeps `bias` (fp32). Call again whenever the parameters change.
    public func setWeights(_ step: WeightedStep, weight: Tensor, bias: Tensor?) {
        let s = steps[step.index]
        guard let spec = s.weights else { preconditionFailure("setWeights on a step without weights") }
        precondition(weight.shape == spec.shape && (bias != nil) == spec.hasBias, "setWeights: \(weight.shape) for \(spec.shape)")
        s.kernel.setWeights(weight, bias: bias, spec: spec)
    }

    /// Appends a step with weights (set later by `setWeights`).
    func appendWeighted(_ step: ProgramStep, shape: Shape, format: dnnl_memory_desc_t? = nil) -> (Value, WeightedStep) {
        precondition(step.weights != nil)
        let v = append(step, shape: shape, format: format)
        return (v, WeightedStep(index: steps.count - 1))
    }

    deinit {
        memories = []
        for step in steps { step.scratchpad = nil }
        if let arena { free(arena) }
        if let scratch { free(scratch) }
        if let workspace { free(workspace) }
    }
}

