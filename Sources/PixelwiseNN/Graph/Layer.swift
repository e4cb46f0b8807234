/// Whether a forward pass is for training (batch statistics, dropout, saved state for backward)
/// or for inference.
public enum Mode: Sendable { case training, inference }

/// One operation of a network, Caffe-style: shape inference, forward and backward side by side.
///
/// A layer is a final class built from a `Configuration` value (its hyper-parameters, which is
/// what the model file stores); it owns its parameters and whatever its backward pass needs from
/// the forward pass. A new layer is one file plus one line in `LayerRegistry.all`.
public protocol Layer: AnyObject {
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
}

extension Layer {
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var buffers: [(name: String, parameter: Parameter)] { [] }
    public func resetParameters(using generator: inout SeededGenerator) {}
    public func multiplyAccumulates(inputs: [Shape], output: Shape) -> Int { 0 }
    public var kind: String { Self.kind }

    /// Throws unless exactly `n` inputs are given.
    func expectInputs(_ inputs: [Shape], _ n: Int) throws {
        guard inputs.count == n else {
            throw PixelwiseError.shapeMismatch("\(Self.kind) takes \(n) input\(n == 1 ? "" : "s"), got \(inputs.count)")
        }
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
