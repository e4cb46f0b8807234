import PixelwiseCore
import PixelwiseKernels

/// Convolution, 2-D or 3-D (by the kernel's rank), with stride, kernel stride (dilation — the
/// SK-Nets' strided kernels) and padding; runs on oneDNN.
///
/// y[n, o, p] = b[o] + Σ_i Σ_k w[o, i, k] · x[n, i, s·p + d·k − pad_low]
///
/// Shapes: input (N, C_in, [D,] H, W) → output (N, C_out, [D',] H', W') with
/// H' = ⌊(H + pad_low + pad_high − d·(k − 1) − 1) / s⌋ + 1. Weight (C_out, C_in, [k_D,] k_H, k_W), PyTorch's layout.
/// Gradients: dL/dx by oneDNN's backward-data, dL/dw and dL/db by its backward-weights.
public final class Convolution: OptionsAwareLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var kernelSize: [Int]
        public var stride: [Int]
        public var dilation: [Int]
        public var padding: Padding
        public var bias: Bool
        public var initializer: Initializer

        public init(inputChannels: Int, outputChannels: Int, kernelSize: [Int], stride: [Int]? = nil,
                    dilation: [Int]? = nil, padding: Padding = .valid, bias: Bool = true, initializer: Initializer = .he) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.kernelSize = kernelSize
            self.stride = stride ?? kernelSize.map { _ in 1 }
            self.dilation = dilation ?? kernelSize.map { _ in 1 }
            self.padding = padding
            self.bias = bias
            self.initializer = initializer
        }
    }

    public static let kind = "Convolution"
    public let configuration: Configuration
    private let learnable: ConvolutionParameters
    public var weight: Parameter { learnable.weight }
    public var bias: Parameter? { learnable.bias }

    public init(_ configuration: Configuration) throws {
        let c = configuration
        let n = c.kernelSize.count
        learnable = try ConvolutionParameters(layer: Self.kind, inputChannels: c.inputChannels, outputChannels: c.outputChannels,
                                              kernelSize: c.kernelSize, stride: c.stride, dilation: c.dilation,
                                              weightShape: [c.outputChannels, c.inputChannels] + c.kernelSize, bias: c.bias)
        if case .explicit(let low, let high) = c.padding, low.count != n || high.count != n || (low + high).contains(where: { $0 < 0 }) {
            throw PixelwiseError.invalidArgument("Convolution: explicit padding needs \(n) non-negative values per side")
        }
        self.configuration = c
    }

    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, dilation: Int = 1,
                            padding: Padding = .valid, bias: Bool = true, initializer: Initializer = .he) throws {
        try self.init(Configuration(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: [kernelSize, kernelSize],
                                    stride: [stride, stride], dilation: [dilation, dilation], padding: padding, bias: bias,
                                    initializer: initializer))
    }

    public var parameters: [(name: String, parameter: Parameter)] { learnable.named }

    public func resetParameters(using g: inout SeededGenerator) {
        let c = configuration
        learnable.reset(c.initializer, inputChannels: c.inputChannels, outputChannels: c.outputChannels, kernelSize: c.kernelSize, using: &g)
    }

    func geometry(for input: Shape) -> ConvolutionGeometry {
        let c = configuration
        var low: [Int] = [], high: [Int] = []
        for a in 0..<c.kernelSize.count {
            let (l, h) = c.padding.amounts(axis: a, input: input[2 + a], kernel: c.kernelSize[a], stride: c.stride[a], dilation: c.dilation[a])
            low.append(l)
            high.append(h)
        }
        return ConvolutionGeometry(stride: c.stride, dilation: c.dilation, paddingLow: low, paddingHigh: high)
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        let x = inputs[0], c = configuration
        guard x.rank == c.kernelSize.count + 2 else {
            throw PixelwiseError.shapeMismatch("input \(x) has rank \(x.rank), this \(c.kernelSize.count)-D convolution needs \(c.kernelSize.count + 2)")
        }
        guard x[1] == c.inputChannels else {
            throw PixelwiseError.shapeMismatch("input \(x) has \(x[1]) channels, expected \(c.inputChannels)")
        }
        let g = geometry(for: x)
        var out = [x[0], c.outputChannels]
        for a in 0..<c.kernelSize.count {
            let span = x[2 + a] + g.paddingLow[a] + g.paddingHigh[a] - c.dilation[a] * (c.kernelSize[a] - 1)
            guard span >= 1 else {
                throw PixelwiseError.shapeMismatch("input \(x) is too small for kernel \(c.kernelSize) with dilation \(c.dilation)")
            }
            out.append((span - 1) / c.stride[a] + 1)
        }
        return Shape(out)
    }

    public func forward(_ inputs: [Tensor], mode: Mode, options: ExecutionOptions) throws -> Tensor {
        let x = inputs[0].inLayout(.channelsLast)
        return try ConvolutionKernel.forward(x, weight: weight.value, bias: bias?.value, outputShape: try outputShape(for: [x.shape]),
                                             geometry: geometry(for: x.shape), transposed: false, training: mode == .training,
                                             options: options)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool],
                         options: ExecutionOptions) throws -> [Tensor?] {
        let x = inputs[0].inLayout(.channelsLast)
        let g = geometry(for: x.shape)
        let (dw, db) = try ConvolutionKernel.backwardWeights(gradient, input: x, weightShape: weight.shape, hasBias: bias != nil,
                                                             geometry: g, transposed: false, options: options)
        weight.accumulate(dw)
        if let db { bias?.accumulate(db) }
        guard needsInputGradient[0] else { return [nil] }
        return [try ConvolutionKernel.backwardData(gradient, weight: weight.value, inputShape: x.shape, geometry: g, transposed: false,
                                                   options: options)]
    }

    public func multiplyAccumulates(inputs: [Shape], output: Shape) -> Int {
        output.count * configuration.inputChannels * configuration.kernelSize.reduce(1, *)
    }

    public var window: SpatialWindow? {
        SpatialWindow(role: .convolution, kernel: configuration.kernelSize, stride: configuration.stride, dilation: configuration.dilation)
    }

    /// A 1×1 convolution with stride 1 and no padding: a per-pixel linear map.
    var isPointwise: Bool {
        let c = configuration
        guard c.kernelSize.allSatisfy({ $0 == 1 }), c.stride.allSatisfy({ $0 == 1 }) else { return false }
        switch c.padding {
        case .valid: return true
        case .same: return true  // a 1×1 kernel needs no padding
        case .explicit(let low, let high): return (low + high).allSatisfy { $0 == 0 }
        }
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole {
        .convolution(ConvolutionLowering(weight: weight, bias: bias, transposed: false, geometry: geometry(for: inputs[0]),
                                         isPointwise: isPointwise))
    }
}
