import PixelwiseCore

/// One convolution pass, as the algorithm chooser sees it.
public struct ConvolutionProblem: Hashable, Sendable, CustomStringConvertible {
    /// Where the pass runs: a training step's three passes, a layer's own forward in inference
    /// mode (`Graph.InferenceStrategy.layerByLayer`), or a compiled inference plan.
    public enum Stage: String, Hashable, Sendable { case training, layerInference = "layer", plan }
    public enum Pass: String, Hashable, Sendable { case forward, backwardData = "backward-data", backwardWeights = "backward-weights" }

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

    /// The problem's key in caches and recorded tables: every field, spelled out.
    public var description: String {
        "\(stage.rawValue) \(pass.rawValue) \(transposed ? "T" : "C") x\(input.dims) w\(weight.dims) \(geometry) \(layout)"
            + (activation.map { " +\($0)" } ?? "")
    }

    /// The shape the pass writes: y for forward, dL/dx for backward data, the weight for backward weights.
    public var outputShape: Shape {
        switch pass {
        case .forward: return Shape([input[0], weight[transposed ? 1 : 0]] + spatial(of: input, forward: !transposed))
        case .backwardData: return Shape([input[0], weight[transposed ? 0 : 1]] + spatial(of: input, forward: transposed))
        case .backwardWeights: return weight
        }
    }

    /// The convolution's other activation: y for forward and backward weights, x for backward data.
    public var otherActivation: Shape {
        switch pass {
        case .forward, .backwardWeights: return Shape([input[0], weight[transposed ? 1 : 0]] + spatial(of: input, forward: !transposed))
        case .backwardData: return outputShape
        }
    }

    /// Spatial extent after the convolution's map (`forward`) or its transpose.
    private func spatial(of s: Shape, forward: Bool) -> [Int] {
        let g = geometry
        return (0..<(s.rank - 2)).map { a in
            let k = g.dilation[a] * (weight[2 + a] - 1) + 1, pad = g.paddingLow[a] + g.paddingHigh[a]
            return forward ? (s[2 + a] + pad - k) / g.stride[a] + 1 : (s[2 + a] - 1) * g.stride[a] + k - pad
        }
    }

    /// Direct-equivalent multiply-adds of the pass (what GFLOP/s figures count): the three passes
    /// of a convolution each do |y| · Cin · |k| of them (a transposed one: |x| · Cout · |k|).
    public var multiplyAccumulates: Int {
        let kernel = weight.dims.dropFirst(2).reduce(1, *)
        let small = transposed ? (pass == .backwardData ? outputShape : input) : (pass == .backwardData ? input : otherActivation)
        return small.count / small[1] * weight[0] * weight[1] * kernel
    }
}

/// The one place that decides how a convolution runs, for training and inference alike.
///
/// `candidates` lists every algorithm that computes the problem correctly under the options; `choose`
/// picks one according to `ExecutionOptions.algorithms`: by default (`.fastest`) the fastest candidate
/// within `tolerance` of the direct convolution, as measured on the real shape by `AlgorithmCatalog`
/// (per machine, cached); `.exact` direct; `.recorded` a training run's table; `.winograd` and
/// `.rules` the fixed rules of earlier versions. How it works and what it costs: docs/performance.md.
public enum AlgorithmChooser {
    /// How one convolution pass is computed.
    public enum Algorithm: String, Sendable, CaseIterable, Codable {
        /// oneDNN's direct (JIT) convolution, in the options' precision.
        case direct
        /// Winograd F(4×4, 3×3) (`WinogradConvolution`; training: `WinogradTraining`): 3×3, stride 1, fp32;
        /// for 3×3×3 kernels F(4×4×4, 3×3×3) (`WinogradConvolution3D`).
        case winograd
        /// Winograd F(2×2, 3×3): fewer rounding steps, 2.25× fewer products than direct; forward and
        /// backward data, fp32. For 3×3×3 kernels F(2×2×2, 3×3×3), all three passes (3.4× fewer products).
        case winograd2 = "winograd-2x2"
        /// Winograd F(6×6, 3×3): 5.1× fewer products, the largest rounding error (the tolerance check
        /// decides); forward and backward data, fp32.
        case winograd6 = "winograd-6x6"
        /// A transposed convolution whose kernel equals its stride as one SGEMM and a block scatter
        /// (`BlockTransposedConvolution`): all three passes, fp32.
        case blockScatter = "block-scatter"
        /// A stride-1 convolution's weight gradient as one SGEMM per kernel offset (`ShiftedWeightGradient`), fp32.
        case shiftedWeightGradient = "shifted-weight-gradient"

        /// Winograd's output tile side m of F(m×m, 3×3), for the Winograd variants.
        public var winogradTile: Int? {
            switch self {
            case .winograd: return 4
            case .winograd2: return 2
            case .winograd6: return 6
            default: return nil
            }
        }
    }

    /// Results a candidate gives may differ from the direct fp32 convolution's by at most this
    /// fraction of the direct output's range (max − min) (SPEC §3).
    public static let tolerance: Float = 1e-4

    /// `.winograd`: Winograd's input and output transforms cost O(C) per tile and its products
    /// O(C²), so forcing it only pays once the products dominate.
    public static let winogradMinimumChannels = 32
    /// `.winograd` in training: the weights are re-transformed on every pass (36·Cin·Cout floats),
    /// and with few tiles that and the thin products cost more than Winograd saves.
    public static let winogradMinimumTiles = 128
    /// `.fastest`: narrower convolutions are not timed for Winograd (its transforms dominate there).
    public static let measuredWinogradMinimumChannels = 8

    /// Every algorithm that can compute `problem` in the options' precision; `.direct` always.
    public static func candidates(for p: ConvolutionProblem, options: ExecutionOptions) -> [Algorithm] {
        var found: [Algorithm] = [.direct]
        let fp32 = options.precision == .float32
        let fusable = p.activation == nil || p.activation == .relu  // what the own kernels fuse
        if fp32, fusable, p.stage != .layerInference, !p.transposed, p.input.rank == 4, p.weight.rank == 4,
           WinogradConvolution.applies(kernel: p.weight.spatial, geometry: p.geometry),
           p.geometry.paddingLow.allSatisfy({ $0 <= 2 }) {
            found.append(.winograd)
            if p.pass != .backwardWeights { found += [.winograd2, .winograd6] }
        }
        // 3×3×3: F(2³) and F(4³) (`WinogradConvolution3D`), all three passes.
        if fp32, fusable, p.stage != .layerInference, !p.transposed, p.input.rank == 5, p.weight.rank == 5,
           WinogradConvolution3D.applies(kernel: p.weight.spatial, geometry: p.geometry),
           p.geometry.paddingLow.allSatisfy({ $0 <= 2 }) {
            found += [.winograd2, .winograd]
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
        choose(for: p, options: options, catalog: .shared)
    }

    /// The algorithm to run `problem` with, `.fastest` measured and cached by `catalog`.
    public static func choose(for p: ConvolutionProblem, options: ExecutionOptions, catalog: AlgorithmCatalog) -> Algorithm {
        let candidates = candidates(for: p, options: options)
        switch options.algorithms {
        case .exact:
            return .direct
        case .only(let algorithm):
            return candidates.contains(algorithm) ? algorithm : .direct
        case .recorded(let table):
            let recorded = table.choices[p.description] ?? .direct
            return candidates.contains(recorded) ? recorded : .direct
        case .rules:
            return ruleChoice(p, candidates, options, winograd: false)
        case .winograd:
            return ruleChoice(p, candidates, options, winograd: true)
        case .fastest:
            guard catalog.measures else { return ruleChoice(p, candidates, options, winograd: false) }
            let timed = candidates.filter { a in
                a.winogradTile == nil || min(p.weight[0], p.weight[1]) >= measuredWinogradMinimumChannels
            }
            return timed.count == 1 ? .direct : catalog.choice(for: p, candidates: timed, precision: options.precision)
        }
    }

    /// The fixed rules (`.rules`, `.winograd`).
    static func ruleChoice(_ p: ConvolutionProblem, _ candidates: [Algorithm], _ options: ExecutionOptions, winograd: Bool) -> Algorithm {
        if winograd, candidates.contains(.winograd), min(p.weight[0], p.weight[1]) >= options.winogradMinimumChannels,
           p.stage != .training || TileGrid.tiles(covering: p.input) >= winogradMinimumTiles {
            return .winograd
        }
        if candidates.contains(.blockScatter) { return .blockScatter }  // faster than oneDNN's deconvolution
        if candidates.contains(.shiftedWeightGradient) { return .shiftedWeightGradient }
        return .direct
    }

    /// The choices for `problems` under `options`, as a table a training run records and every one
    /// of its processes uses (`AlgorithmSelection.recorded`): measured (or cached) for `.fastest`.
    public static func table(for problems: [ConvolutionProblem], options: ExecutionOptions,
                             catalog: AlgorithmCatalog = .shared) -> AlgorithmTable {
        var table = AlgorithmTable()
        for p in problems { table.choices[p.description] = choose(for: p, options: options, catalog: catalog) }
        return table
    }
}

/// Recorded choices: problem (`ConvolutionProblem.description`) → algorithm. A training run keeps
/// its table in the run folder (algorithms.json) so a resumed run and every MPI process run the
/// same algorithms (bit-identical results).
public struct AlgorithmTable: Hashable, Sendable, Codable {
    public var choices: [String: AlgorithmChooser.Algorithm]

    public init(choices: [String: AlgorithmChooser.Algorithm] = [:]) { self.choices = choices }
}
