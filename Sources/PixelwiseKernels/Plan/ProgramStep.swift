import CDNNL
import PixelwiseCore

/// What one kind of `InferenceProgram` step computes. Each kind is its own type, in its own file
/// under `Plan/Steps/` together with the program's builder method for it; the program sizes,
/// weights and runs every step through this protocol, so a new kind of step adds a type and
/// changes nothing in `InferenceProgram`.
protocol StepKernel: AnyObject {
    /// Computes the step's output from its inputs (all in the program's arena).
    func run(_ context: StepContext) throws
    /// The oneDNN primitive, whose scratchpad the program shares among all steps; nil for own kernels.
    var primitive: Primitive? { get }
    /// Floats of the program's shared workspace (for own kernels; steps run one after another).
    func workspaceFloats(output: Shape) -> Int
    /// Takes a layer's weights in PyTorch's layout (steps made with a `WeightSpec` only).
    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec)
    /// False while a step with weights has not had `setWeights`.
    var ready: Bool { get }
    /// Bytes of the weights the step keeps (in their reordered formats).
    var weightBytes: Int { get }
}

extension StepKernel {
    var primitive: Primitive? { nil }
    func workspaceFloats(output: Shape) -> Int { 0 }
    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec) { preconditionFailure("setWeights on a step without weights") }
    var ready: Bool { true }
    var weightBytes: Int { 0 }
}

/// Everything a step sees while it runs.
struct StepContext {
    let name: String
    let inputs: [Memory]
    let inputShapes: [Shape]
    let output: Memory
    let outputShape: Shape
    /// The shared oneDNN scratchpad, for a primitive that needs one.
    let scratchpad: Memory?
    /// The shared workspace of the own kernels (`StepKernel.workspaceFloats`).
    let workspace: UnsafeMutablePointer<Float>?
    let precision: Precision

    func input(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(inputs[i].pointer.assumingMemoryBound(to: Float.self)) }
    var outputFloats: UnsafeMutablePointer<Float> { output.pointer.assumingMemoryBound(to: Float.self) }
}

/// What a convolution step's weights look like in PyTorch's layout.
struct WeightSpec {
    let shape: Shape
    let transposed: Bool
    let hasBias: Bool
}

/// One step of an `InferenceProgram`: which values it reads and writes, and its kernel.
final class ProgramStep {
    let name: String
    let inputs: [Int]
    var output = -1
    let kernel: any StepKernel
    let weights: WeightSpec?
    var scratchpad: Memory?

    init(name: String, inputs: [Int], kernel: any StepKernel, weights: WeightSpec? = nil) {
        self.name = name
        self.inputs = inputs
        self.kernel = kernel
        self.weights = weights
    }
}
