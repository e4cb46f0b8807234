import PixelwiseCore
import PixelwiseKernels

/// A network: a directed acyclic graph of layers with one input and one output, plus
/// reverse-mode automatic differentiation over it.
///
/// Nodes are kept in the order they were added, which is a topological order (a node can only
/// take earlier nodes as inputs). `forward` in training mode keeps every activation for
/// `backward`; in inference mode it drops each activation after its last reader has run, so
/// memory holds only the live feature maps.
public final class Graph {
    public struct Node {
        /// Dotted, stable name: the prefix of the node's parameter paths (`enc1.conv1`).
        public let name: String
        public let layer: any Layer
        /// Indices of the input nodes; `Graph.inputIndex` (-1) is the network input.
        public let inputs: [Int]
    }

    public static let inputIndex = -1
    public private(set) var nodes: [Node] = []
    /// Channels of the network input.
    public let inputChannels: Int
    /// Spatial rank: 2 for images, 3 for volumes.
    public let spatialRank: Int
    /// Free-form description of how the network was made (preset name and options), stored in model files.
    public var metadata: [String: String] = [:]

    /// When set, forward and backward record each node's time here (for `pixelwise bench`).
    public var timer: LayerTimer?

    private var activations: [Tensor?] = []
    private var lastInput: Tensor?

    /// How `forward(_:mode: .inference)` runs: `.planned` compiles the graph once per input
    /// shape into an `InferencePlan` (fused convolutions, folded batch norm, one activation
    /// arena) in the given precision; `.layerByLayer` calls each layer's `forward` (the
    /// reference the plans are tested against, and what `timer` measures per node).
    public enum InferenceStrategy: Equatable, Sendable {
        case layerByLayer
        case planned(Precision)
    }
    public var inferenceStrategy: InferenceStrategy = .planned(.float32) {
        didSet { if inferenceStrategy != oldValue { plans = [] } }
    }
    /// How training passes run (and layer-by-layer inference): precision — `.bfloat16` is mixed
    /// precision (fp32 master weights, activations and gradients; bf16 operands with fp32
    /// accumulation inside each convolution) — and algorithms (`ExecutionOptions.algorithms`: by
    /// default per convolution and pass the fastest one within 1e-4 of direct, measured; a training
    /// run records its choices, `.recorded`). Passed to every layer's `forward(_:mode:options:)` and
    /// `backward(…options:)`.
    public var trainingOptions = ExecutionOptions()
    /// How compiled inference plans choose their algorithms (`ExecutionOptions.algorithms`: by
    /// default measured per convolution, `.exact` for oneDNN's direct kernels). Their precision is
    /// `inferenceStrategy`'s.
    public var inferenceOptions = ExecutionOptions() {
        didSet { if inferenceOptions != oldValue { plans = [] } }
    }
    /// `trainingOptions.precision`.
    public var trainingPrecision: Precision {
        get { trainingOptions.precision }
        set { trainingOptions.precision = newValue }
    }
    /// `inferenceOptions.winograd`: Winograd F(4×4, 3×3) forced (`AlgorithmSelection.winograd`), else the default.
    public var winogradInference: Bool {
        get { inferenceOptions.winograd }
        set { inferenceOptions.winograd = newValue }
    }
    /// `trainingOptions.winograd`: Winograd F(4×4, 3×3) forced (`AlgorithmSelection.winograd`), else the default.
    public var winogradTraining: Bool {
        get { trainingOptions.winograd }
        set { trainingOptions.winograd = newValue }
    }

    /// The most recently used plans (at most two input shapes are kept: each holds an arena).
    private var plans: [InferencePlan] = []

    /// The plan for `inputShape` at `precision`, compiled on first use.
    /// On a CPU without bf16 arithmetic a `.bfloat16` request compiles an fp32 plan (`Precision.effective`).
    public func inferencePlan(for inputShape: Shape, precision requested: Precision) throws -> InferencePlan {
        let precision = requested.effective
        if let k = plans.firstIndex(where: { $0.inputShape == inputShape && $0.precision == precision }) {
            let plan = plans.remove(at: k)
            plans.append(plan)
            return plan
        }
        let plan = try InferencePlan(graph: self, inputShape: inputShape, options: inferenceOptions.with(precision: precision))
        plans.append(plan)
        if plans.count > 2 { plans.removeFirst() }
        return plan
    }

    /// The algorithms the inference plan for `inputShape` runs (measured, or found in the
    /// per-machine cache, under `inferenceOptions`), as a table: what a blockwise run records so
    /// that all its processes and reruns compute alike, whatever their thread counts.
    public func inferenceAlgorithmTable(inputShape: Shape) throws -> AlgorithmTable {
        try inferencePlan(for: inputShape, precision: inferenceOptions.precision).table
    }

    public init(inputChannels: Int, spatialRank: Int = 2) {
        self.inputChannels = inputChannels
        self.spatialRank = spatialRank
    }

    /// A handle to a node's output while building a graph.
    public struct Value: Hashable, Sendable { public let index: Int }
    public var input: Value { Value(index: Graph.inputIndex) }
    public var output: Value { Value(index: nodes.count - 1) }

    /// Appends `layer` reading `inputs`; names must be unique.
    @discardableResult
    public func add(_ name: String, _ layer: any Layer, _ inputs: Value...) throws -> Value {
        try add(name, layer, inputs: inputs)
    }

    @discardableResult
    public func add(_ name: String, _ layer: any Layer, inputs: [Value]) throws -> Value {
        guard !nodes.contains(where: { $0.name == name }) else {
            throw PixelwiseError.invalidArgument("graph: two layers are named \(name)")
        }
        for v in inputs where v.index >= nodes.count || v.index < Graph.inputIndex {
            throw PixelwiseError.invalidArgument("graph: \(name) reads a node that does not exist yet")
        }
        nodes.append(Node(name: name, layer: layer, inputs: inputs.map(\.index)))
        plans = []
        return Value(index: nodes.count - 1)
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }

    // MARK: Shapes

    /// Output shape of every node for an input of `inputShape`, or the first layer's error,
    /// prefixed with its name.
    public func shapes(for inputShape: Shape) throws -> [Shape] {
        guard inputShape.rank == spatialRank + 2 else {
            throw PixelwiseError.shapeMismatch("input \(inputShape) must have rank \(spatialRank + 2) (N, C, \(spatialRank == 2 ? "H, W" : "D, H, W"))")
        }
        guard inputShape[1] == inputChannels else {
            throw PixelwiseError.shapeMismatch("input \(inputShape) has \(inputShape[1]) channels, the network takes \(inputChannels)")
        }
        var shapes: [Shape] = []
        for node in nodes {
            let ins = node.inputs.map { $0 == Graph.inputIndex ? inputShape : shapes[$0] }
            do { shapes.append(try node.layer.outputShape(for: ins)) } catch let error as PixelwiseError {
                throw error.located(at: node.name)
            }
        }
        return shapes
    }

    public func outputShape(for inputShape: Shape) throws -> Shape {
        try shapes(for: inputShape).last ?? inputShape
    }

    // MARK: Parameters

    /// Every trainable parameter with its dotted path, in graph order.
    public var parameters: [(name: String, parameter: Parameter)] {
        nodes.flatMap { node in node.layer.parameters.map { ("\(node.name).\($0.name)", $0.parameter) } }
    }

    /// Non-trained state (batch-norm running averages) with dotted paths.
    public var buffers: [(name: String, parameter: Parameter)] {
        nodes.flatMap { node in node.layer.buffers.map { ("\(node.name).\($0.name)", $0.parameter) } }
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.parameter.value.count } }

    public func zeroGradients() { for (_, p) in parameters { p.zeroGradient() } }

    /// Initialises every layer's parameters from one seed (reproducible).
    public func resetParameters(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for node in nodes { node.layer.resetParameters(using: &generator) }
    }

    // MARK: Forward and backward

    /// Runs the network in inference mode and returns every node's output, in node order
    /// (for `segment --dump-blobs`, Tschopp's "filter output").
    public func forwardKeepingActivations(_ input: Tensor) throws -> [Tensor] {
        _ = try forward(input, mode: .inference, keepActivations: true)
        defer { releaseActivations() }
        return activations.map { $0! }
    }

    /// Runs the network. In `.training` mode the activations are kept for `backward`.
    public func forward(_ input: Tensor, mode: Mode = .inference) throws -> Tensor {
        if mode == .inference, case .planned(let precision) = inferenceStrategy, timer == nil {
            guard input.rank == spatialRank + 2, input.shape[1] == inputChannels else {
                _ = try shapes(for: input.shape)
                throw PixelwiseError.shapeMismatch("input \(input.shape) does not fit the network")
            }
            activations = []
            lastInput = nil
            return try inferencePlan(for: input.shape, precision: precision).run(input)
        }
        if mode == .training { StoragePool.enableForTraining() }
        return try forward(input, mode: mode, keepActivations: mode == .training)
    }

    private func forward(_ input: Tensor, mode: Mode, keepActivations: Bool) throws -> Tensor {
        guard input.rank == spatialRank + 2, input.shape[1] == inputChannels else {
            _ = try shapes(for: input.shape)  // throws the readable error
            throw PixelwiseError.shapeMismatch("input \(input.shape) does not fit the network")
        }
        let options = trainingOptions.effective
        var values = [Tensor?](repeating: nil, count: nodes.count)
        // Liveness: in inference an activation is dropped once its last reader has run.
        var lastUse = [Int](repeating: nodes.count - 1, count: nodes.count)
        if !keepActivations {
            lastUse = (0..<nodes.count).map { $0 }
            for (i, node) in nodes.enumerated() { for j in node.inputs where j >= 0 { lastUse[j] = max(lastUse[j], i) } }
        }
        for (i, node) in nodes.enumerated() {
            let ins = node.inputs.map { $0 == Graph.inputIndex ? input : values[$0]! }
            let start = timer?.now()
            defer { if let start { timer?.record(node: i, forward: true, since: start) } }
            do { values[i] = try node.layer.forward(ins, mode: mode, options: options) } catch let error as PixelwiseError {
                throw error.located(at: node.name)
            }
            if !keepActivations {
                for j in node.inputs where j >= 0 && lastUse[j] == i && j != nodes.count - 1 { values[j] = nil }
            }
        }
        if keepActivations {
            activations = values
            lastInput = input
        } else {
            activations = []
            lastInput = nil
        }
        return values.last!!
    }

    /// Back-propagates `outputGradient` (dL/d output) through the graph recorded by the last
    /// training forward, accumulating every parameter's gradient. Returns dL/d input.
    @discardableResult
    public func backward(_ outputGradient: Tensor, needInputGradient: Bool = false) throws -> Tensor? {
        let options = trainingOptions.effective
        guard let input = lastInput, activations.count == nodes.count else {
            throw PixelwiseError.invalidArgument("backward needs a forward pass in training mode first")
        }
        // Which nodes lead to something with parameters (or to the input, if asked)?
        var needs = [Bool](repeating: false, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            needs[i] = !node.layer.parameters.isEmpty || node.inputs.contains { $0 >= 0 ? needs[$0] : needInputGradient }
        }
        var gradients = [Tensor?](repeating: nil, count: nodes.count)
        var inputGradient: Tensor?
        gradients[nodes.count - 1] = outputGradient
        for i in stride(from: nodes.count - 1, through: 0, by: -1) {
            guard needs[i], let g = gradients[i] else { continue }
            gradients[i] = nil
            let node = nodes[i]
            let output = activations[i]!
            guard g.shape == output.shape else {
                throw PixelwiseError.shapeMismatch("\(node.name): gradient \(g.shape) for output \(output.shape)")
            }
            let ins = node.inputs.map { $0 == Graph.inputIndex ? input : activations[$0]! }
            let want = node.inputs.map { $0 >= 0 ? needs[$0] : needInputGradient }
            let start = timer?.now()
            let inputGradients: [Tensor?]
            do {
                inputGradients = try node.layer.backward(g.inLayout(output.layout), inputs: ins, output: output, needsInputGradient: want,
                                                         options: options)
            } catch let error as PixelwiseError {
                throw error.located(at: node.name)
            }
            if let start { timer?.record(node: i, forward: false, since: start) }
            for (k, j) in node.inputs.enumerated() where want[k] {
                guard let gi = inputGradients[k] else {
                    throw PixelwiseError.invalidArgument("\(node.name) (\(node.layer.kind)) returned no gradient for input \(k)")
                }
                let layout = j >= 0 ? activations[j]!.layout : input.layout
                if j == Graph.inputIndex {
                    if inputGradient == nil { inputGradient = gi.inLayout(layout) } else { inputGradient!.add(gi) }
                } else if gradients[j] == nil {
                    gradients[j] = gi.inLayout(layout)
                } else {
                    gradients[j]!.add(gi)  // a value read twice (U-Net skips) gets the sum
                }
            }
        }
        return inputGradient
    }

    /// Drops the activations kept by the last training forward.
    public func releaseActivations() {
        activations = []
        lastInput = nil
    }
}
