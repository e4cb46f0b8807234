/// A graph compiled for inference at one input shape and precision (`InferenceProgram` does the
/// running); `Graph.forward(_:mode: .inference)` builds one per input shape and reuses it.
///
/// Translation, node by node in graph order:
/// - Convolution / TransposedConvolution, followed (as the only reader) by BatchNormalization
///   and then by ReLU, LeakyReLU or Sigmoid: one oneDNN convolution, batch norm folded into
///   its weights (`BatchNormFolding`) and the activation fused as a post-op.
/// - Nearest up-sampling whose only reader is a 1×1, stride-1, unpadded convolution: the
///   convolution (and whatever is fused into it) runs first, at the low resolution, and its
///   result is up-sampled — the same values, since both are per-pixel maps and nearest
///   up-sampling only repeats pixels, at ¼ of the multiply-adds.
/// - Undilated max pooling, MergeCrop, Concatenation, nearest up-sampling, standalone
///   activations: native steps. Dropout is the identity. Anything else runs the layer's own
///   `forward` on fp32 copies of its inputs (a fallback step).
///
/// fp32 transposed convolutions whose kernel equals their stride (U-Net's 2×2 up-convolution) run as
/// one SGEMM and a block scatter (`BlockTransposedConvolution`), with a fused ReLU if one follows.
///
/// With `winograd`, fp32 3×3 stride-1 convolutions with at least `winogradMinimumChannels` input
/// and output channels (and no activation but ReLU) run by Winograd F(4×4, 3×3)
/// (`WinogradConvolution`) instead of oneDNN's direct kernel: an opt-in fast mode, results within
/// ~1e-5 of the output's range. Narrower layers stay direct: Winograd's transforms cost O(C) per
/// tile and its products O(C²), so it only pays once the products dominate (the measurements
/// behind the threshold: docs/performance.md).
///
/// The folded, reordered weights are refreshed before a run whenever a parameter or batch-norm
/// statistic the plan depends on has changed (`Parameter.version`).
public final class InferencePlan {
    public let program: InferenceProgram
    /// For every program step, the graph nodes it computes (several when fused; a reorder step
    /// inserted for a node's inputs counts as that node's).
    public private(set) var stepNodes: [[Int]] = []
    private var weightUpdates: [() -> Void] = []
    private var dependencies: [Parameter] = []
    private var boundVersion = -1

    public var precision: Precision { program.precision }
    public var inputShape: Shape { program.inputShape }

    public static let winogradMinimumChannels = 32

    /// `chooseFormats`: let convolutions pick their activation formats (`InferenceProgram`); off,
    /// every value is channels-last.
    public init(graph: Graph, inputShape: Shape, precision: Precision = .float32, winograd: Bool = false,
                winogradMinimumChannels: Int = InferencePlan.winogradMinimumChannels, chooseFormats: Bool = true) throws {
        let shapes = try graph.shapes(for: inputShape)
        let nodes = graph.nodes
        program = InferenceProgram(inputShape: inputShape, precision: precision, chooseFormats: chooseFormats)
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() { for j in node.inputs where j >= 0 { readers[j].append(i) } }
        let last = nodes.count - 1
        /// The node's single reader, if it has exactly one and is not the graph output's producer.
        func soleReader(_ i: Int) -> Int? { i != last && readers[i].count == 1 ? readers[i][0] : nil }

        var values = [InferenceProgram.Value?](repeating: nil, count: nodes.count)
        func value(_ j: Int) -> InferenceProgram.Value { j == Graph.inputIndex ? program.input : values[j]! }
        var done = [Bool](repeating: false, count: nodes.count)

        /// Emits node i (a convolution) reading `source`, with a following BN and activation fused; returns the last node covered.
        func emitConvolution(_ i: Int, source: InferenceProgram.Value, sourceShape: Shape, covered: inout [Int]) throws -> (InferenceProgram.Value, Int) {
            var end = i
            var bn: BatchNormalization?
            if let r = soleReader(end), let b = nodes[r].layer as? BatchNormalization { bn = b; end = r; covered.append(r) }
            var activation: EltwiseKernel.Function?
            if let r = soleReader(end) {
                switch nodes[r].layer {
                case is ReLU: activation = .relu
                case let l as LeakyReLU: activation = .leakyReLU(slope: l.configuration.negativeSlope)
                case is Sigmoid: activation = .sigmoid
                default: break
                }
                if activation != nil { end = r; covered.append(r) }
            }
            let name = covered.map { nodes[$0].name }.joined(separator: "+")
            let weight: Parameter, bias: Parameter?, transposed: Bool, geometry: ConvolutionGeometry, outChannels: Int
            switch nodes[i].layer {
            case let c as Convolution:
                (weight, bias, transposed, geometry, outChannels) = (c.weight, c.bias, false, c.geometry(for: sourceShape), c.configuration.outputChannels)
            case let t as TransposedConvolution:
                (weight, bias, transposed, geometry, outChannels) = (t.weight, t.bias, true, t.geometry, t.configuration.outputChannels)
            default: preconditionFailure("emitConvolution on \(nodes[i].layer.kind)")
            }
            let outShape = Shape([sourceShape[0], outChannels] + (try nodes[i].layer.outputShape(for: [sourceShape]).spatial))
            let useWinograd = winograd && precision == .float32 && !transposed && weight.shape.rank == 4
                && WinogradConvolution.applies(kernel: weight.shape.spatial, geometry: geometry)
                && min(weight.shape[0], weight.shape[1]) >= winogradMinimumChannels && (activation == nil || activation == .relu)
            let useBlockScatter = precision == .float32 && transposed
                && BlockTransposedConvolution.applies(kernel: weight.shape.spatial, geometry: geometry) && (activation == nil || activation == .relu)
            let (v, step) = useWinograd
                ? program.winogradConvolution(source, weightShape: weight.shape, hasBias: bias != nil || bn != nil, outputShape: outShape,
                                              geometry: geometry, relu: activation == .relu, name: name)
                : useBlockScatter
                ? program.blockTransposedConvolution(source, weightShape: weight.shape, hasBias: bias != nil || bn != nil,
                                                     relu: activation == .relu, name: name)
                : try program.convolution(source, weightShape: weight.shape, hasBias: bias != nil || bn != nil,
                                          outputShape: outShape, geometry: geometry, transposed: transposed,
                                          activation: activation, name: name)
            let program = self.program
            weightUpdates.append {
                if let bn {
                    let (w, b) = BatchNormFolding.fold(weight: weight.value, bias: bias?.value, transposed: transposed, into: bn)
                    program.setWeights(step, weight: w, bias: b)
                } else {
                    program.setWeights(step, weight: weight.value, bias: bias?.value)
                }
            }
            dependencies += [weight] + (bias.map { [$0] } ?? [])
            if let bn { dependencies += [bn.scale, bn.shift, bn.runningMean, bn.runningVariance] }
            return (v, end)
        }

        for (i, node) in nodes.enumerated() where !done[i] {
            let ins = node.inputs.map(value)
            var covered = [i]
            let firstStep = program.stepCount
            switch node.layer {
            case is Convolution, is TransposedConvolution:
                let (v, end) = try emitConvolution(i, source: ins[0], sourceShape: node.inputs[0] >= 0 ? shapes[node.inputs[0]] : inputShape,
                                                   covered: &covered)
                for k in covered { values[k] = v }
                precondition(covered.last == end)
            case let up as Upsampling where up.configuration.method == .nearest:
                if let r = soleReader(i), let conv = nodes[r].layer as? Convolution, conv.isPointwise {
                    let sourceShape = node.inputs[0] >= 0 ? shapes[node.inputs[0]] : inputShape
                    covered = [r]
                    let (low, _) = try emitConvolution(r, source: ins[0], sourceShape: sourceShape, covered: &covered)
                    let convolutionSteps = program.stepCount - firstStep
                    let v = program.upsampleNearest(low, factor: up.configuration.factor, name: node.name)
                    stepNodes += Array(repeating: covered, count: convolutionSteps)
                        + Array(repeating: [i], count: program.stepCount - firstStep - convolutionSteps)
                    for k in [i] + covered { values[k] = v; done[k] = true }
                    continue
                }
                values[i] = program.upsampleNearest(ins[0], factor: up.configuration.factor, name: node.name)
            case let pool as MaxPooling where !pool.isDilated:
                values[i] = try program.maxPooling(ins[0], kernel: pool.configuration.kernelSize, stride: pool.configuration.stride,
                                                   outputShape: shapes[i], name: node.name)
            case is MergeCrop, is Concatenation:
                values[i] = program.mergeCrop(ins[0], ins[1], name: node.name)
            case is ReLU:
                values[i] = try program.eltwise(.relu, ins[0], name: node.name)
            case let l as LeakyReLU:
                values[i] = try program.eltwise(.leakyReLU(slope: l.configuration.negativeSlope), ins[0], name: node.name)
            case is Sigmoid:
                values[i] = try program.eltwise(.sigmoid, ins[0], name: node.name)
            case is Dropout:
                values[i] = ins[0]
                done[i] = true
                continue  // no step
            default:
                let layer = node.layer
                values[i] = program.fallback(ins, outputShape: shapes[i], name: node.name) { try layer.forward($0, mode: .inference) }
                dependencies += layer.parameters.map(\.parameter) + layer.buffers.map(\.parameter)
            }
            stepNodes += Array(repeating: covered, count: program.stepCount - firstStep)
            for k in covered { done[k] = true }
        }
        program.finalize(output: value(last))
        refreshWeights()
    }

    /// Sum of the versions of every parameter the plan copied: it changes whenever one of them does.
    private var currentVersion: Int { dependencies.reduce(0) { $0 &+ $1.version } }

    private func refreshWeights() {
        let v = currentVersion
        guard v != boundVersion else { return }
        for update in weightUpdates { update() }
        boundVersion = v
    }

    /// The network's output for `input` (fp32, channels-last).
    public func run(_ input: Tensor) throws -> Tensor {
        refreshWeights()
        return try program.run(input)
    }
}

extension Convolution {
    /// A 1×1 convolution with stride 1 and no padding: a per-pixel linear map.
    var isPointwise: Bool {
        let c = configuration
        guard c.kernelSize.allSatisfy({ $0 == 1 }), c.stride.allSatisfy({ $0 == 1 }) else { return false }
        switch c.padding {
        case .valid: return true
        case .same: return true  // a 1×1 kernel needs no padding
        case .explicit(let low, let high): return (low + high).allSatisfy { $0 == 0 }
        }
    }
}
