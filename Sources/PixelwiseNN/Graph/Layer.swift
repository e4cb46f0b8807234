import PixelwiseCore
import PixelwiseKernels

/// Whether a forward pass is for training (batch statistics, dropout, saved state for backward)
/// or for inference.
public enum Mode: Sendable { case training, inference }

/// One operation of a network, Caffe-style: shape inference, forward and backward side by side.
///
/// A layer is a final class built from a `Configuration` value (its hyper-parameters, which is
/// what the model file stores); it owns its parameters and whatever its backward pass needs from
/// the forward pass. A new layer is one file plus one line in `LayerRegistry.all`. How it runs in a
/// compiled inference plan it says through `InferenceLowering` (by default: its own `forward`).
public protocol Layer: AnyObject, InferenceLowering {
    associatedtype Configuration: Codable & Sendable & Equatable

    /// The registry key, stored in model files.
    static var kind: String { get }
    var configuration: Configuration { get }
    init(_ configuration: Configuration) throws

    /// Output shape for the given input shapes; throws a readable error for shapes it cannot take.
    func outputShape(for inputs: [Shape]) throws -> Shape

    func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor

    /// Gradients with respect to the inputs (nil where `needsInputGradient` is false), after
    /// accumulating the parameters' gradients. Called after `forward` in `.training` mode with
    /// the same inputs; `gradient` has the layout of `output`.
    func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?]

    /// Trainable parameters by local name ("weight", "bias").
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// Non-trained state saved with the model (batch-norm running averages).
    var buffers: [(name: String, parameter: Parameter)] { get }
    /// Draws fresh initial parameter values.
    func resetParameters(using generator: inout SeededGenerator)
    /// Multiply-accumulate count of one forward pass, for FLOP figures (0 for cheap layers).
    func multiplyAccumulates(inputs: [Shape], output: Shape) -> Int

    /// The layer's sliding window, for model tables, tiling and input-size rules; nil (the default)
    /// for per-pixel layers and merges.
    var window: SpatialWindow? { get }
    /// The layer's own random generator (dropout masks), saved in checkpoints so that a resumed run
    /// draws what an uninterrupted one would; nil (the default) for layers that draw no random numbers.
    var randomGenerator: SeededGenerator? { get set }

    /// `forward` under the execution options of the graph that runs it (precision, algorithms);
    /// `Graph` calls this one. By default a layer has no use for them and runs `forward(_:mode:)`.
    func forward(_ inputs: [Tensor], mode: Mode, options: ExecutionOptions) throws -> Tensor
    /// `backward` under the graph's execution options; by default `backward(_:inputs:output:needsInputGradient:)`.
    func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool],
                  options: ExecutionOptions) throws -> [Tensor?]
}

extension Layer {
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var buffers: [(name: String, parameter: Parameter)] { [] }
    public func resetParameters(using generator: inout SeededGenerator) {}
    public func multiplyAccumulates(inputs: [Shape], output: Shape) -> Int { 0 }
    public var kind: String { Self.kind }
    public var window: SpatialWindow? { nil }
    public var randomGenerator: SeededGenerator? {
        get { nil }
        set {}
    }

    public func forward(_ inputs: [Tensor], mode: Mode, options: ExecutionOptions) throws -> Tensor {
        try forward(inputs, mode: mode)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool],
                         options: ExecutionOptions) throws -> [Tensor?] {
        try backward(gradient, inputs: inputs, output: output, needsInputGradient: needsInputGradient)
    }

    /// Throws unless exactly `n` inputs are given.
    func expectInputs(_ inputs: [Shape], _ n: Int) throws {
        guard inputs.count == n else {
            throw PixelwiseError.shapeMismatch("\(Self.kind) takes \(n) input\(n == 1 ? "" : "s"), got \(inputs.count)")
        }
    }
}

/// A layer whose passes depend on the execution options (convolutions: precision and algorithm):
/// it implements `forward(_:mode:options:)` and `backward(…options:)`, and the option-less
/// versions run them with the default options.
public protocol OptionsAwareLayer: Layer {}
extension OptionsAwareLayer {
    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        try forward(inputs, mode: mode, options: ExecutionOptions())
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        try backward(gradient, inputs: inputs, output: output, needsInputGradient: needsInputGradient, options: ExecutionOptions())
    }
}

/// A layer that takes one input and keeps its shape (activations, dropout, batch norm).
public protocol ShapePreservingLayer: Layer {}
extension ShapePreservingLayer {
    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        return inputs[0]
    }
}

/// Where a layer's kernel visits its input, per spatial axis.
public struct SpatialWindow: Equatable, Sendable {
    public enum Role: Sendable {
        /// A convolution: a learned window that can stride down.
        case convolution
        /// A transposed convolution: strides up.
        case transposedConvolution
        /// Pooling: strides down.
        case pooling
        /// Up-sampling by `stride` (= `kernel`).
        case upsampling
    }

    public var role: Role
    public var kernel: [Int]
    public var stride: [Int]
    /// Tschopp's kernel stride d (1 = dense).
    public var dilation: [Int]

    public init(role: Role, kernel: [Int], stride: [Int], dilation: [Int]) {
        self.role = role
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
    }
}
