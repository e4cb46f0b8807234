import PixelwiseCore

/// A 3×3 stride-1 convolution by Winograd F(m×m, 3×3) (`WinogradConvolution`; fp32, channels-last),
/// with optional fused ReLU; `padTop`/`padLeft`: the zero padding before the first row and column.
final class WinogradStep: StepKernel {
    let kernel: WinogradConvolution
    let padTop: Int, padLeft: Int
    private var weightsSet = false

    init(_ kernel: WinogradConvolution, padTop: Int, padLeft: Int) {
        self.kernel = kernel
        self.padTop = padTop
        self.padLeft = padLeft
    }

    var ready: Bool { weightsSet }
    var weightBytes: Int { kernel.weightBytes }
    func workspaceFloats(output: Shape) -> Int { kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: output, tile: kernel.tile)) }

    func setWeights(_ weight: Tensor, bias: Tensor?, spec: WeightSpec) {
        kernel.setWeights(weight, bias: bias)
        weightsSet = true
    }

    func run(_ context: StepContext) {
        let x = context.inputShapes[0], y = context.outputShape
        kernel.forward(context.input(0), batch: x[0], height: x[2], width: x[3], padTop: padTop, padLeft: padLeft,
                       into: context.outputFloats, outputHeight: y[2], outputWidth: y[3], workspace: context.workspace!)
    }
}

/// A 3×3×3 stride-1 convolution by Winograd F(m³, 3³) (`WinogradConvolution3D`; fp32, channels-last),
/// with optional fused ReLU; `padding`: the zeros before the first voxel on each axis.
final class Winograd3DStep: StepKernel {
    let kernel: WinogradConvolution3D
    let padding: [Int]
    private var weightsSet = false

    init(_ kernel: WinogradConvolution3D, padding: [Int]) {
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
        let x = context.inputShapes[0], y = context.outputShape
        let grid = TileGrid3D(batch: x[0], input: Array(x.dims[2...]), output: Array(y.dims[2...]), padding: padding, tile: kernel.tile)
        kernel.forward(context.input(0), grid: grid, into: context.outputFloats, workspace: context.workspace!)
    }
}

extension InferenceProgram {
    /// A 3×3, stride-1 convolution by Winograd F(tile×tile, 3×3) (`WinogradConvolution`; fp32 only),
    /// with optional fused ReLU. Weights by `setWeights`, like `convolution`.
    public func winogradConvolution(_ x: Value, weightShape: Shape, hasBias: Bool, outputShape: Shape, geometry: ConvolutionGeometry,
                                    relu: Bool, tile: Int = 4, name: String) -> (Value, WeightedStep) {
        if weightShape.rank == 5 {
            precondition(precision == .float32 && WinogradConvolution3D.applies(kernel: weightShape.spatial, geometry: geometry),
                         "\(name): 3-D Winograd needs an fp32 3×3×3 stride-1 convolution")
            let kernel = WinogradConvolution3D(inputChannels: weightShape[1], outputChannels: weightShape[0], relu: relu, tile: tile)
            let step = ProgramStep(name: name, inputs: [channelsLast(x).index], kernel: Winograd3DStep(kernel, padding: geometry.paddingLow),
                                   weights: WeightSpec(shape: weightShape, transposed: false, hasBias: hasBias))
            return appendWeighted(step, shape: outputShape)
        }
        precondition(precision == .float32 && weightShape.rank == 4 && WinogradConvolution.applies(kernel: weightShape.spatial, geometry: geometry),
                     "\(name): Winograd F(4×4, 3×3) needs an fp32 3×3 stride-1 convolution")
        let kernel = WinogradConvolution(inputChannels: weightShape[1], outputChannels: weightShape[0], relu: relu, tile: tile)
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index],
                               kernel: WinogradStep(kernel, padTop: geometry.paddingLow[0], padLeft: geometry.paddingLow[1]),
                               weights: WeightSpec(shape: weightShape, transposed: false, hasBias: hasBias))
        return appendWeighted(step, shape: outputShape)
    }

    /// The steps that run by Winograd (any tile, 2-D or 3-D).
    public var winogradStepNames: [String] { stepNames(running: WinogradStep.self) + stepNames(running: Winograd3DStep.self) }
}
