import PixelwiseCore

/// A transposed convolution whose kernel equals its stride as SGEMM + block scatter
/// (`BlockTransposedConvolution`; fp32, channels-last), with its weights in GEMM order.
final class BlockScatterStep: StepKernel {
    let blocks: Blocks
    let relu: Bool
    private var weights: [Float] = []
    private var bias: [Float]?

    init(blocks: Blocks, relu: Bool) {
        self.blocks = blocks
        self.relu = relu
    }

    var ready: Bool { !weights.isEmpty }
    var weightBytes: Int { (weights.count + (bias?.count ?? 0)) * 4 }
    func workspaceFloats(output: Shape) -> Int { blocks.workspaceFloats }

    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec) {
        weights = blocks.gemmWeights(from: weight)
        self.bias = bias?.inLayout(.rowMajor).storageScalars
    }

    func run(_ context: StepContext) {
        BlockTransposedConvolution.forward(context.input(0), blocks: blocks, gemmWeights: weights, bias: bias, relu: relu,
                                           workspace: context.workspace!, into: context.outputFloats)
    }
}

extension InferenceProgram {
    /// A transposed convolution whose kernel equals its stride (U-Net's 2×2 up-convolution) as one
    /// SGEMM and a block scatter (`BlockTransposedConvolution`; fp32, channels-last), with optional
    /// fused ReLU. oneDNN 2.6 runs these as slow general deconvolutions (docs/performance.md).
    /// Weights by `setWeights`, like `convolution`.
    public func blockTransposedConvolution(_ x: Value, weightShape: Shape, hasBias: Bool, relu: Bool, name: String) -> (Value, WeightedStep) {
        let blocks = Blocks(input: shapes[x.index], weight: weightShape, chunkRows: nil)
        precondition(precision == .float32, "\(name): the block-scatter up-convolution is fp32")
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index], kernel: BlockScatterStep(blocks: blocks, relu: relu),
                               weights: WeightSpec(shape: weightShape, transposed: true, hasBias: hasBias))
        return appendWeighted(step, shape: blocks.outputShape)
    }

    /// The steps that run a transposed convolution as SGEMM + block scatter.
    public var blockScatterStepNames: [String] { stepNames(running: BlockScatterStep.self) }
}
