import PixelwiseCore
import PixelwiseKernels

/// How a layer runs in a compiled inference plan (`InferencePlan`). Every `Layer` is one; the
/// defaults make any layer work — it runs its own `forward` on fp32 copies of its inputs (a
/// fallback step) — and a layer with a faster path says so in its own file:
///
/// - `fusionRole(for:)`: what the plan's fusion pass may do with it. A `.convolution` absorbs a
///   following `.channelAffine` (batch norm, folded into its weights) and `.activation` (a oneDNN
///   post-op); a `.pixelRepeat` (nearest up-sampling) followed by a pointwise convolution is swapped
///   so the convolution runs at the low resolution.
/// - `lower(_:into:)`: the steps the layer becomes when it was not fused. By default an
///   `.activation` becomes an element-wise step, a `.pixelRepeat` an up-sampling step, anything
///   else a fallback step. A layer with a native step (pooling, merging) or none (dropout)
///   implements it, calling `InferenceProgram`'s builders.
public protocol InferenceLowering {
    /// What the fusion pass may do with this layer, for these input shapes. Default `.none`.
    func fusionRole(for inputs: [Shape]) -> FusionRole
    /// Adds the layer's steps to `plan.program` reading `inputs`, and returns the value holding its output.
    func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value
}

/// What a layer is to the inference plan's fusion pass.
public enum FusionRole {
    /// Nothing to fuse: the layer lowers on its own.
    case none
    /// A convolution or transposed convolution: the start of a fused chain.
    case convolution(ConvolutionLowering)
    /// A per-channel affine map y = scale·(x − mean) + shift (inference-mode batch norm), folded
    /// into the weights of the convolution before it.
    case channelAffine(ChannelAffine)
    /// An element-wise function, fused into the convolution before it as a oneDNN post-op.
    case activation(EltwiseKernel.Function)
    /// Nearest up-sampling by these factors: a pixel repeat, which commutes with any per-pixel map.
    case pixelRepeat(factor: [Int])
}

/// A convolution as the plan lowers it (fused with what follows, algorithm by `AlgorithmChooser`).
public struct ConvolutionLowering {
    public var weight: Parameter
    public var bias: Parameter?
    public var transposed: Bool
    public var geometry: ConvolutionGeometry
    /// A 1×1, stride-1, unpadded convolution: a per-pixel linear map.
    public var isPointwise: Bool

    public init(weight: Parameter, bias: Parameter?, transposed: Bool, geometry: ConvolutionGeometry, isPointwise: Bool) {
        self.weight = weight
        self.bias = bias
        self.transposed = transposed
        self.geometry = geometry
        self.isPointwise = isPointwise
    }
}

/// y = scale·(x − mean) + shift per channel, computed from `dependencies` (read again whenever one of them changes).
public struct ChannelAffine {
    public var dependencies: [Parameter]
    public var coefficients: () -> (scale: [Float], mean: [Float], shift: [Float])

    public init(dependencies: [Parameter], coefficients: @escaping () -> (scale: [Float], mean: [Float], shift: [Float])) {
        self.dependencies = dependencies
        self.coefficients = coefficients
    }
}

/// What a layer's `lower` works with: the program, the node's name and shapes, the plan's options,
/// and a way to keep weights it copies into steps up to date.
public final class LoweringContext {
    public let program: InferenceProgram
    /// The node's name, for its steps.
    public let name: String
    public let inputShapes: [Shape]
    public let outputShape: Shape
    public let options: ExecutionOptions
    private(set) var dependencies: [Parameter] = []
    private(set) var weightUpdates: [() -> Void] = []

    init(program: InferenceProgram, name: String, inputShapes: [Shape], outputShape: Shape, options: ExecutionOptions) {
        self.program = program
        self.name = name
        self.inputShapes = inputShapes
        self.outputShape = outputShape
        self.options = options
    }

    /// Runs `update` (which copies parameters into steps, e.g. `InferenceProgram.setWeights`) now and
    /// whenever one of `parameters` has changed before a run.
    public func refresh(when parameters: [Parameter], _ update: @escaping () -> Void) {
        dependencies += parameters
        weightUpdates.append(update)
    }

    /// A fallback step running `layer`'s own `forward` (inference mode, fp32) on fp32 copies of its inputs.
    public func fallback(_ layer: any Layer, _ inputs: [InferenceProgram.Value]) -> InferenceProgram.Value {
        let options = self.options.with(precision: .float32)
        dependencies += layer.parameters.map(\.parameter) + layer.buffers.map(\.parameter)
        return program.fallback(inputs, outputShape: outputShape, name: name) { try layer.forward($0, mode: .inference, options: options) }
    }
}

extension Layer {
    public func fusionRole(for inputs: [Shape]) -> FusionRole { .none }

    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        switch fusionRole(for: plan.inputShapes) {
        case .activation(let f): return try plan.program.eltwise(f, inputs[0], name: plan.name)
        case .pixelRepeat(let factor): return plan.program.upsampleNearest(inputs[0], factor: factor, name: plan.name)
        case .none, .convolution, .channelAffine: return plan.fallback(self, inputs)
        }
    }
}
