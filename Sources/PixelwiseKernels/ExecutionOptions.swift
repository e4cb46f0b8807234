import PixelwiseCore

/// How the kernels run a network: a value the caller owns and passes down (`Graph` keeps one for
/// training and one for inference and hands it to every layer's forward and backward pass and to
/// every inference plan), never process-wide or task-local state.
public struct ExecutionOptions: Hashable, Sendable {
    /// Arithmetic of the convolutions. In training `.bfloat16` is mixed precision: tensors stay fp32
    /// (master weights, activations, gradients) and each convolution takes bf16 operands and
    /// accumulates in fp32. In an inference plan it is the precision of all activations and weights.
    public var precision: Precision
    /// Winograd F(4×4, 3×3) for wide 3×3 stride-1 fp32 convolutions (`AlgorithmChooser`): an opt-in
    /// fast mode, results within ≈1e-5 of the direct convolution's range.
    public var winograd: Bool
    /// The narrowest convolution (min of input and output channels) Winograd runs on.
    public var winogradMinimumChannels: Int

    public init(precision: Precision = .float32, winograd: Bool = false,
                winogradMinimumChannels: Int = AlgorithmChooser.winogradMinimumChannels) {
        self.precision = precision
        self.winograd = winograd
        self.winogradMinimumChannels = winogradMinimumChannels
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
}
