import PixelwiseCore
import PixelwiseKernels

/// Transposed convolution ("up-convolution"): the forward pass is a convolution's backward-data
/// pass, so each input pixel scatters a weighted copy of the kernel into the output.
///
/// y[n, o, s·p + d·k − pad_low] += w[i, o, k] · x[n, i, p]   (+ b[o])
///
/// Shapes: (N, C_in, H, W) → (N, C_out, H', W') with
/// H' = (H − 1)·s − pad_low − pad_high + d·(k − 1) + 1 + outputPadding. Weight (C_in, C_out, k_H, k_W)
/// as in PyTorch's ConvTranspose. `outputPadding` adds rows/columns at the high end (MagmaDNN's
/// 2×2 → 4×4 check uses 1).
public final class TransposedConvolution: OptionsAwareLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var kernelSize: [Int]
        public var stride: [Int]
        public var dilation: [Int]
        public var padding: [Int]
        public var outputPadding: [Int]
        public var bias: Bool
        public var initializer: Initializer

        public init(inputChannels: Int, outputChannels: Int, kernelSize: [Int], stride: [Int], dilation: [Int]? = nil,
                    padding: [Int]? = nil, outputPadding: [Int]? = nil, bias: Bool = true, initializer: Initializer = .he) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.kernelSize = kernelSize
            self.stride = stride
            self.dilation = dilation ?? kernelSize.map { _ in 1 }
            self.padding = padding ?? kernelSize.map { _ in 0 }
            self.outputPadding = outputPadding ?? kernelSize.map { _ in 0 }
            self.bias = bias
            self.initializer = initializer
        }
    }

    public static let kind = "TransposedConvolution"
    public let configuration: Configuration
    private let learnable: ConvolutionParameters
    public var weight: Parameter { learnable.weight }
    public var bias: Parameter? { learnable.bias }

    public init(_ configuration: Configuration) throws {
        let c = configuration
        let n = c.kernelSize.count
        learnable = try ConvolutionParameters(layer: Self.kind, inputChannels: c.inputChannels, outputChannels: c.outputChannels,
                                              kernelSize: c.kernelSize, stride: c.stride, dilation: c.dilation,
                                              weightShape: [c.inputChannels, c.outputChannels] + c.kernelSize, bias: c.bias)
        guard c.padding.count == n, c.outputPadding.count == n else {
            throw PixelwiseError.invalidArgument("TransposedConvolution: padding and outputPadding need \(n) entries each")
        }
        self.configuration = c
    }

    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int = 0,
                            outputPadding: Int = 0, bias: Bool = true) throws {
        try self.init(Configuration(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: [kernelSize, kernelSize],
                                    stride: [stride, stride], padding: [padding, padding], outputPadding: [outputPadding, outputPadding],
                                    bias: bias))
    }

    public var parameters: [(name: String, parameter: Parameter)] { learnable.named }

    public func resetParameters(using g: inout SeededGenerator) {
        let c = configuration
        learnable.reset(c.initializer, inputChannels: c.inputChannels, outputChannels: c.outputChannels, kernelSize: c.kernelSize, using: &g)
    }

    /// oneDNN takes output padding as negative high padding.
    var geometry: ConvolutionGeometry {
        let c = configuration
        return ConvolutionGeometry(stride: c.stride, dilation: c.dilation, paddingLow: c.padding,
                                   paddingHigh: zip(c.padding, c.outputPadding).map { $0 - $1 })
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        let x = inputs[0], c = configuration
        guard x.rank == c.kernelSize.count + 2, x[1] == c.inputChannels else {
            throw PixelwiseError.shapeMismatch("input \(x) does not fit a transposed convolution from \(c.inputChannels) channels")
        }
        var out = [x[0], c.outputChannels]
        for a in 0..<c.kernelSize.count {
            out.append((x[2 + a] - 1) * c.stride[a] - 2 * c.padding[a] + c.dilation[a] * (c.kernelSize[a] - 1) + 1 + c.outputPadding[a])
        }
        guard out.allSatisfy({ $0 > 0 }) else { throw PixelwiseError.shapeMismatch("input \(x) gives an empty output") }
        return Shape(out)
    }

    /// Kernel = stride (U-Net's 2×2 up-convolution) in fp32 runs as one GEMM (`BlockTransposedConvolution`)
    /// instead of oneDNN's general deconvolution, (docs/performance.md); bf16 training keeps oneDNN's kernels.
    func algorithm(input: Shape, mode: Mode, options: ExecutionOptions) -> AlgorithmChooser.Algorithm {
        AlgorithmChooser.choose(for: ConvolutionProblem(stage: mode == .training ? .training : .layerInference, input: input,
                                                        weight: weight.shape, geometry: geometry, transposed: true),
                                options: options)
    }

    public func forward(_ inputs: [Tensor], mode: Mode, options: ExecutionOptions) throws -> Tensor {
        let x = inputs[0].inLayout(.channelsLast)
        if algorithm(input: x.shape, mode: mode, options: options) == .blockScatter {
            return BlockTransposedConvolution.forward(x, weight: weight.value, bias: bias?.value)
        }
        return try ConvolutionKernel.forward(x, weight: weight.value, bias: bias?.value, outputShape: try outputShape(for: [x.shape]),
                                             geometry: geometry, transposed: true, training: mode == .training, options: options)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool],
                         options: ExecutionOptions) throws -> [Tensor?] {
        let x = inputs[0].inLayout(.channelsLast)
        if algorithm(input: x.shape, mode: .training, options: options) == .blockScatter {
            let (dx, dw, db) = BlockTransposedConvolution.backward(gradient, input: x, weight: weight.value, hasBias: bias != nil,
                                                                   needInputGradient: needsInputGradient[0])
            weight.accumulate(dw)
            if let db { bias?.accumulate(db) }
            return [dx]
        }
        let (dw, db) = try ConvolutionKernel.backwardWeights(gradient, input: x, weightShape: weight.shape, hasBias: bias != nil,
                                                             geometry: geometry, transposed: true, options: options)
        weight.accumulate(dw)
        if let db { bias?.accumulate(db) }
        guard needsInputGradient[0] else { return [nil] }
        return [try ConvolutionKernel.backwardData(gradient, weight: weight.value, inputShape: x.shape, geometry: geometry, transposed: true,
                                                   options: options)]
    }

    public func multiplyAccumulates(inputs: [Shape], output: Shape) -> Int {
        inputs[0].count * configuration.outputChannels * configuration.kernelSize.reduce(1, *)
    }

    public var window: SpatialWindow? {
        SpatialWindow(role: .transposedConvolution, kernel: configuration.kernelSize, stride: configuration.stride,
                      dilation: configuration.dilation)
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole {
        .convolution(ConvolutionLowering(weight: weight, bias: bias, transposed: true, geometry: geometry, isPointwise: false))
    }
}
