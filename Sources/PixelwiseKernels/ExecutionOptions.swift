import PixelwiseCore

/// How the kernels run a network: a value the caller owns and passes down (`Graph` keeps one for
/// training and one for inference and hands it to every layer's forward and backward pass and to
/// every inference plan), never process-wide or task-local state.
public struct ExecutionOptions: Hashable, Sendable {
    /// Arithmetic of the convolutions. In training `.bfloat16` is mixed precision: tensors stay fp32
    /// (master weights, activations, gradients) and each convolution takes bf16 operands and
    /// accumulates in fp32. In an inference plan it is the precision of all activations and weights.
    public var precision: Precision
    /// How each convolution pass picks its algorithm (`AlgorithmChooser`): by default the fastest
    /// one whose results stay within 1e-4 of the direct convolution's output range, measured.
    public var algorithms: AlgorithmSelection
    /// With `.winograd`: the narrowest convolution (min of input and output channels) Winograd is forced on.
    public var winogradMinimumChannels: Int

    public init(precision: Precision = .float32, algorithms: AlgorithmSelection = .fastest,
                winogradMinimumChannels: Int = AlgorithmChooser.winogradMinimumChannels) {
        self.precision = precision
        self.algorithms = algorithms
        self.winogradMinimumChannels = winogradMinimumChannels
    }

    /// `algorithms: .winograd` when `winograd`, else `.fastest` (the form of earlier versions).
    public init(precision: Precision = .float32, winograd: Bool,
                winogradMinimumChannels: Int = AlgorithmChooser.winogradMinimumChannels) {
        self.init(precision: precision, algorithms: winograd ? .winograd : .fastest, winogradMinimumChannels: winogradMinimumChannels)
    }

    /// Whether Winograd is forced where it applies (`algorithms == .winograd`).
    public var winograd: Bool {
        get { algorithms == .winograd }
        set { algorithms = newValue ? .winograd : .fastest }
    }

    /// The options that will actually run: bf16 only where the CPU has bf16 arithmetic (`Precision.effective`).
    public var effective: ExecutionOptions {
        var o = self
        o.precision = precision.effective
        return o
    }

    /// The same options in another precision.
    public func with(precision: Precision) -> ExecutionOptions {
        var o = self
        o.precision = precision
        return o
    }

    /// The same options with another algorithm selection.
    public func with(algorithms: AlgorithmSelection) -> ExecutionOptions {
        var o = self
        o.algorithms = algorithms
        return o
    }
}

/// How convolutions choose their algorithm (`AlgorithmChooser.choose`).
public enum AlgorithmSelection: Hashable, Sendable {
    /// The default: per layer and pass, the fastest candidate whose results stay within
    /// `AlgorithmChooser.tolerance` of the output range of the direct fp32 convolution, timed on the
    /// real shape the first time it is seen and kept in the per-machine cache (`AlgorithmCatalog`).
    /// Never slower than direct as measured. Where timing is switched off (`AlgorithmCatalog.measures`
    /// false) it is `.rules`.
    case fastest
    /// oneDNN's direct kernels everywhere (`--exact`): the results PyTorch gives on the same weights.
    case exact
    /// Winograd F(4×4, 3×3) forced wherever it applies to a convolution with at least
    /// `winogradMinimumChannels` channels (training: on batches of at least
    /// `AlgorithmChooser.winogradMinimumTiles` tiles); elsewhere `.rules` (`--winograd`).
    case winograd
    /// The fixed rules of earlier versions, without timing: the block-scatter up-convolution and the
    /// shifted weight gradient where they apply, direct everywhere else.
    case rules
    /// The choices a training run recorded (`AlgorithmTable`): the same algorithms on every process
    /// and after a resume; direct for a problem the table does not hold.
    case recorded(AlgorithmTable)
    /// One algorithm wherever it computes the problem, direct elsewhere (what a trial runs).
    case only(AlgorithmChooser.Algorithm)
}
