import PixelwiseCore
import PixelwiseKernels

/// A graph compiled for inference at one input shape and precision (`InferenceProgram` does the
/// running); `Graph.forward(_:mode: .inference)` builds one per input shape and reuses it.
///
/// A generic loop over the nodes in graph order plus a fusion pass; what each layer is to the
/// plan, it says itself (`InferenceLowering`), so nothing here names a layer type:
/// - A `.convolution`, followed (as the only reader) by a `.channelAffine` and then by an
///   `.activation`: one convolution step, the affine map (batch norm) folded into its weights
///   (`BatchNormFolding`) and the activation fused as a post-op. Its algorithm — oneDNN's direct
///   kernel, Winograd F(4×4, 3×3), or the block-scatter up-convolution — is `AlgorithmChooser`'s
///   choice (by default measured on this shape, `ExecutionOptions.algorithms`), the same chooser
///   training asks.
/// - A `.pixelRepeat` (nearest up-sampling) whose only reader is a pointwise convolution: the
///   convolution (and whatever is fused into it) runs first, at the low resolution, and its
///   result is up-sampled — the same values, since both are per-pixel maps and nearest
///   up-sampling only repeats pixels, at ¼ of the multiply-adds.
/// - Every other node: the layer's own `lower` (native steps for pooling, merging, standalone
///   activations and up-sampling; none for dropout; a fallback step running the layer's `forward`
///   for everything else).
///
/// The folded, reordered weights are refreshed before a run whenever a parameter or batch-norm
/// statistic the plan depends on has changed (`Parameter.version`).
public final class InferencePlan {
    public let program: InferenceProgram
    /// For every program step, the graph nodes it computes (several when fused; a reorder step
    /// inserted for a node's inputs counts as that node's).
    public private(set) var stepNodes: [[Int]] = []
    /// The algorithm of every convolution node, by node index (`AlgorithmChooser`'s choice).
    public private(set) var algorithms: [Int: AlgorithmChooser.Algorithm] = [:]
    /// The same choices by problem, as a table other processes can follow (`AlgorithmSelection.recorded`).
    public private(set) var table = AlgorithmTable()
    private var weightUpdates: [() -> Void] = []
    private var dependencies: [Parameter] = []
    private var boundVersion = -1

    public var precision: Precision { program.precision }
    public var inputShape: Shape { program.inputShape }

    /// `options`: the precision of activations and weights, and how convolutions choose their
    /// algorithm (`AlgorithmChooser`). `chooseFormats`: let convolutions pick their activation
    /// formats (`InferenceProgram`); off, every value is channels-last.
    public init(graph: Graph, inputShape: Shape, options: ExecutionOptions = ExecutionOptions(), chooseFormats: Bool = true) throws {
        let shapes = try graph.shapes(for: inputShape)
        let nodes = graph.nodes
        program = InferenceProgram(inputShape: inputShape, precision: options.precision, chooseFormats: chooseFormats)
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated() { for j in node.inputs where j >= 0 { readers[j].append(i) } }
        let last = nodes.count - 1
        /// The node's single reader, if it has exactly one and is not the graph output's producer.
        func soleReader(_ i: Int) -> Int? { i != last && readers[i].count == 1 ? readers[i][0] : nil }
        func shape(_ j: Int) -> Shape { j == Graph.inputIndex ? inputShape : shapes[j] }

        var values = [InferenceProgram.Value?](repeating: nil, count: nodes.count)
        func value(_ j: Int) -> InferenceProgram.Value { j == Graph.inputIndex ? program.input : values[j]! }
        var done = [Bool](repeating: false, count: nodes.count)

        /// Emits convolution node i reading `source` of `sourceShape`, with a following affine map and
        /// activation fused (appended to `covered`).
        func emitConvolution(_ i: Int, _ conv: ConvolutionLowering, source: InferenceProgram.Value, sourceShape: Shape,
                             covered: inout [Int]) throws -> InferenceProgram.Value {
            let outShape = try nodes[i].layer.outputShape(for: [sourceShape])
            var end = i
            var affine: ChannelAffine?
            if let r = soleReader(end), case .channelAffine(let a) = nodes[r].layer.fusionRole(for: [outShape]) {
                affine = a
                end = r
                covered.append(r)
            }
            var activation: EltwiseKernel.Function?
            if let r = soleReader(end), case .activation(let f) = nodes[r].layer.fusionRole(for: [outShape]) {
                activation = f
                covered.append(r)
            }
            let name = covered.map { nodes[$0].name }.joined(separator: "+")
            let (weight, bias, transposed, geometry) = (conv.weight, conv.bias, conv.transposed, conv.geometry)
            let hasBias = bias != nil || affine != nil
            let problem = ConvolutionProblem(stage: .plan, input: sourceShape, weight: weight.shape, geometry: geometry,
                                             transposed: transposed, activation: activation)
            let (v, step): (InferenceProgram.Value, InferenceProgram.WeightedStep)
            let algorithm = AlgorithmChooser.choose(for: problem, options: options)
            algorithms[i] = algorithm
            table.choices[problem.description] = algorithm
            switch algorithm {
            case .winograd, .winograd2, .winograd6:
                (v, step) = program.winogradConvolution(source, weightShape: weight.shape, hasBias: hasBias, outputShape: outShape,
                                                        geometry: geometry, relu: activation == .relu, tile: algorithm.winogradTile!, name: name)
            case .blockScatter:
                (v, step) = program.blockTransposedConvolution(source, weightShape: weight.shape, hasBias: hasBias,
                                                               relu: activation == .relu, name: name)
            case .direct, .shiftedWeightGradient:
                (v, step) = try program.convolution(source, weightShape: weight.shape, hasBias: hasBias, outputShape: outShape,
                                                    geometry: geometry, transposed: transposed, activation: activation, name: name)
            }
            let program = self.program
            weightUpdates.append {
                if let affine {
                    let (w, b) = BatchNormFolding.fold(weight: weight.value, bias: bias?.value, transposed: transposed, into: affine)
                    program.setWeights(step, weight: w, bias: b)
                } else {
                    program.setWeights(step, weight: weight.value, bias: bias?.value)
                }
            }
            dependencies += [weight] + (bias.map { [$0] } ?? []) + (affine?.dependencies ?? [])
            return v
        }

        for (i, node) in nodes.enumerated() where !done[i] {
            let ins = node.inputs.map(value)
            let inShapes = node.inputs.map(shape)
            var covered = [i]
            let firstStep = program.stepCount
            switch node.layer.fusionRole(for: inShapes) {
            case .convolution(let conv):
                let v = try emitConvolution(i, conv, source: ins[0], sourceShape: inShapes[0], covered: &covered)
                for k in covered { values[k] = v }
            case .pixelRepeat(let factor):
                if let r = soleReader(i), case .convolution(let conv) = nodes[r].layer.fusionRole(for: [inShapes[0]]), conv.isPointwise {
                    covered = [r]
                    let low = try emitConvolution(r, conv, source: ins[0], sourceShape: inShapes[0], covered: &covered)
                    let convolutionSteps = program.stepCount - firstStep
                    let v = program.upsampleNearest(low, factor: factor, name: node.name)
                    stepNodes += Array(repeating: covered, count: convolutionSteps)
                        + Array(repeating: [i], count: program.stepCount - firstStep - convolutionSteps)
                    for k in [i] + covered { values[k] = v; done[k] = true }
                    continue
                }
                values[i] = try lower(node, ins, inShapes, shapes[i], options)
            case .none, .channelAffine, .activation:
                values[i] = try lower(node, ins, inShapes, shapes[i], options)
            }
            stepNodes += Array(repeating: covered, count: program.stepCount - firstStep)
            for k in covered { done[k] = true }
        }
        program.finalize(output: value(last))
        refreshWeights()
    }

    /// The node's own lowering (`InferenceLowering.lower`).
    private func lower(_ node: Graph.Node, _ inputs: [InferenceProgram.Value], _ inputShapes: [Shape], _ outputShape: Shape,
                       _ options: ExecutionOptions) throws -> InferenceProgram.Value {
        let context = LoweringContext(program: program, name: node.name, inputShapes: inputShapes, outputShape: outputShape, options: options)
        let v = try node.layer.lower(inputs, into: context)
        dependencies += context.dependencies
        weightUpdates += context.weightUpdates
        return v
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
