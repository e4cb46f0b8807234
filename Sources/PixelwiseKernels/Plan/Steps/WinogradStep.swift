import PixelwiseCore

/// A 3×3 (or 3×3×3) stride-1 convolution by Winograd (`WinogradConvolution`, `WinogradConvolution3D`;
/// fp32, channels-last), with optional fused ReLU; `padding`: the zeros before the first pixel on each
/// spatial axis.
final class WinogradStep: StepKernel {
    let kernel: any WinogradKernel
    let padding: [Int]
    private var weightsSet = false

    init(_ kernel: any WinogradKernel, padding: [Int]) {
        self.kernel = kernel
        self.padding = padding
    }

    var ready: Bool { weightsSet }
    var weightBytes: Int { kernel.weightBytes }
    func workspaceFloats(output: Shape) -> Int { kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: output, tile: kernel.tile)) }

    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec) {
        kernel.setWeights(weight, bias: bias)
        weightsSet = true
    }

    func run(_ context: StepContext) {
        kernel.forward(context.input(0), input: context.inputShapes[0], output: context.outputShape, padding: padding,
                       into: context.outputFloats, workspace: context.workspace!)
    }
}

extension InferenceProgram {
    /// A 3×3 (or 3×3×3), stride-1 convolution by Winograd F(tile×tile, 3×3) (or F(tile³, 3³);
    /// `makeWinogradKernel`; fp32 only), with optional fused ReLU. Weights by `setWeights`, like `convolution`.
    public func winogradConvolution(_ x: Value, weightShape: Shape, hasBias: Bool, outputShape: Shape, geometry: ConvolutionGeometry,
                                    relu: Bool, tile: Int = 4, name: String) -> (Value, WeightedStep) {
        let applies = weightShape.rank == 5 ? WinogradConvolution3D.applies(kernel: weightShape.spatial, geometry: geometry)
                                            : WinogradConvolution.applies(kernel: weightShape.spatial, geometry: geometry)
        precondition(precision == .float32 && applies, "\(name): Winograd needs an fp32 3×3 (or 3×3×3) stride-1 convolution")
        let kernel = makeWinogradKernel(weightShape: weightShape, relu: relu, tile: tile)
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index], kernel: WinogradStep(kernel, padding: geometry.paddingLow),
                               weights: WeightSpec(shape: weightShape, transposed: false, hasBias: hasBias))
        return appendWeighted(step, shape: outputShape)
    }

    /// The steps that run by Winograd (any tile, 2-D or 3-D).
    public var winogradStepNames: [String] { stepNames(running: WinogradStep.self) }
}
