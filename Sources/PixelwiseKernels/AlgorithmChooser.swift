import PixelwiseCore

/// One convolution pass, as the algorithm chooser sees it.
public struct ConvolutionProblem: Hashable, Sendable {
    /// Where the pass runs: a training step's three passes, a layer's own forward in inference
    /// mode (`Graph.InferenceStrategy.layerByLayer`), or a compiled inference plan.
    public enum Stage: Hashable, Sendable { case training, layerInference, plan }
    public enum Pass: Hashable, Sendable { case forward, backwardData, backwardWeights }

    public var stage: Stage
    public var pass: Pass
    /// The activation the pass reads: x for forward and backward weights, dL/dy for backward data.
    public var input: Shape
    /// The weight as stored (OIHW, or IOHW when transposed).
    public var weight: Shape
    public var geometry: ConvolutionGeometry
    public var transposed: Bool
    public var layout: Layout
    /// An activation the plan fuses into the convolution (plans only).
    public var activation: EltwiseKernel.Function?

    public init(stage: Stage, pass: Pass = .forward, input: Shape, weight: Shape, geometry: ConvolutionGeometry, transposed: Bool,
                layout: Layout = .channelsLast, activation: EltwiseKernel.Function? = nil) {
        self.stage = stage
        self.pass = pass
        self.input = input
        self.weight = weight
        self.geometry = geometry
        self.transposed = transposed
        self.layout = layout
        self.activation = activation
    }
}

/// The one place that decides how a convolution runs, for training and inference alike.
///
/// `candidates` lists every algorithm that computes the problem correctly under the options (the
/// opt-in ones only when asked for); `choose` picks one of them by measured rules (the figures
/// behind them: docs/performance.md). A chooser that times the candidates (issue 23) replaces
/// `choose` and keeps `candidates`.
public enum AlgorithmChooser {
    /// How one convolution pass is computed.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// oneDNN's direct (JIT) convolution, in the options' precision.
        case direct
        /// Winograd F(4×4, 3×3) (`WinogradConvolution`; training: `WinogradTraining`): 3×3, stride 1, fp32.
        case winograd
        /// A transposed convolution whose kernel equals its stride as one SGEMM and a block scatter
        /// (`BlockTransposedConvolution`): all three passes, fp32.
        case blockScatter
        /// A stride-1 convolution's weight gradient as one SGEMM per kernel offset (`ShiftedWeightGradient`), fp32.
        case shiftedWeightGradient
    }

    /// Winograd's input and output transforms cost O(C) per tile and its products O(C²), so it only
    /// pays once the products dominate.
    public static let winogradMinimumChannels = 32
    /// Training re-transforms the weights on every pass (36·Cin·Cout floats), and with few tiles
    /// that and the thin products cost more than Winograd saves.
    public static let winogradMinimumTiles = 128

    /// Every algorithm that can compute `problem` under `options`; `.direct` always.
    public static func candidates(for p: ConvolutionProblem, options: ExecutionOptions) -> [Algorithm] {
        var found: [Algorithm] = [.direct]
        let fp32 = options.precision == .float32
        let fusable = p.activation == nil || p.activation == .relu  // what the own kernels fuse
        if options.winograd, fp32, fusable, p.stage != .layerInference, !p.transposed, p.input.rank == 4, p.weight.rank == 4,
           WinogradConvolution.applies(kernel: p.weight.spatial, geometry: p.geometry) {
            found.append(.winograd)
        }
        if p.transposed, fp32, fusable, BlockTransposedConvolution.applies(kernel: p.weight.spatial, geometry: p.geometry) {
            found.append(.blockScatter)
        }
        if p.pass == .backwardWeights, !p.transposed, fp32,
           ShiftedWeightGradient.applies(input: p.input, weight: p.weight, geometry: p.geometry, layout: p.layout) {
            found.append(.shiftedWeightGradient)
        }
        return found
    }

    /// The algorithm to run `problem` with.
    public static func choose(for p: ConvolutionProblem, options: ExecutionOptions) -> Algorithm {
        let candidates = candidates(for: p, options: options)
        if candidates.contains(.winograd), min(p.weight[0], p.weight[1]) >= options.winogradMinimumChannels,
           p.stage != .training || TileGrid.tiles(covering: p.input) >= winogradMinimumTiles {
            return .winograd
        }
        if candidates.contains(.blockScatter) { return .blockScatter }  // faster than oneDNN's deconvolution
        if candidates.contains(.shiftedWeightGradient) { return .shiftedWeightGradient }
        return .direct
    }
}
