import PixelwiseCore

/// Any computation on tensors: the inputs are handed over as fp32 channels-last tensors and the
/// result converted back into the program's format and precision.
final class FallbackStep: StepKernel {
    let body: ([Tensor]) throws -> Tensor
    init(_ body: @escaping ([Tensor]) throws -> Tensor) { self.body = body }

    func run(_ context: StepContext) throws {
        let tensors = zip(context.inputs, context.inputShapes).map { memory, shape -> Tensor in
            let t = Tensor(uninitialized: shape, layout: InferenceProgram.layout(for: shape))
            reorder(memory, into: Memory(t))
            return t
        }
        let y = try body(tensors)
        guard y.shape == context.outputShape else {
            throw PixelwiseError.shapeMismatch("gave \(y.shape), the plan expected \(context.outputShape)")
        }
        reorder(Memory(y), into: context.output)
    }
}

extension InferenceProgram {
    /// Any other layer: its inputs are handed over as fp32 channels-last tensors and its result
    /// converted back (correct for every layer, fast for none).
    public func fallback(_ inputs: [Value], outputShape: Shape, name: String, _ body: @escaping ([Tensor]) throws -> Tensor) -> Value {
        append(ProgramStep(name: name, inputs: inputs.map(\.index), kernel: FallbackStep(body)), shape: outputShape)
    }
}
