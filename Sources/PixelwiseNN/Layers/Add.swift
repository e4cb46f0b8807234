import PixelwiseCore

/// Element-wise sum of two inputs of the same shape (residual connections).
/// y = a + b; dL/da = dL/db = dL/dy.
public final class Add: Layer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "Add"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 2)
        guard inputs[0] == inputs[1] else { throw PixelwiseError.shapeMismatch("cannot add \(inputs[0]) and \(inputs[1])") }
        return inputs[0]
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        var y = inputs[0]
        y.add(inputs[1])
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        [needsInputGradient[0] ? gradient : nil, needsInputGradient[1] ? gradient : nil]
    }
}
