import PixelwiseCore

/// Nearest-neighbour up-sampling (`CopyKernels.upsampleNearest`, the kernel the layer uses in training too).
final class UpsampleNearestStep: StepKernel {
    let factor: [Int]
    init(factor: [Int]) { self.factor = factor }

    func run(_ context: StepContext) {
        CopyKernels.upsampleNearest(from: context.inputs[0].pointer, shape: context.inputShapes[0], factor: factor,
                                    into: context.output.pointer, elementBytes: context.precision.bytes)
    }
}

/// concat_C(a, centre-crop(b)) (`CopyKernels.mergeCrop`, the kernel the layer uses in training too).
final class MergeCropStep: StepKernel {
    func run(_ context: StepContext) {
        CopyKernels.mergeCrop(context.inputs[0].pointer, context.inputShapes[0], context.inputs[1].pointer, context.inputShapes[1],
                              into: context.output.pointer, elementBytes: context.precision.bytes)
    }
}

extension InferenceProgram {
    /// Nearest-neighbour up-sampling by integer factors (H, W) or (D, H, W).
    public func upsampleNearest(_ x: Value, factor: [Int], name: String) -> Value {
        let s = shapes[x.index]
        let out = Shape([s[0], s[1]] + zip(s.spatial, factor).map { $0 * $1 })
        return append(ProgramStep(name: name, inputs: [channelsLast(x).index], kernel: UpsampleNearestStep(factor: factor)), shape: out)
    }

    /// concat_C(a, centre-crop(b)): Caffe's MergeCrop (plain concatenation when the sizes agree).
    public func mergeCrop(_ a: Value, _ b: Value, name: String) -> Value {
        var out = shapes[a.index]
        out[1] += shapes[b.index][1]
        return append(ProgramStep(name: name, inputs: [channelsLast(a).index, channelsLast(b).index], kernel: MergeCropStep()), shape: out)
    }
}
