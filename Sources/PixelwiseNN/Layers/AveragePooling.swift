import PixelwiseCore
import PixelwiseKernels

/// Average pooling over k×k windows with stride s (no padding), on oneDNN.
///
/// y[n, c, p] = mean_k x[n, c, s·p + k];  dL/dx[s·p + k] += dL/dy[p] / |k|.
/// Shapes: (N, C, [D,] H, W) → (N, C, [D',] H', W'), H' = ⌊(H − k) / s⌋ + 1.
public final class AveragePooling: Layer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var kernelSize: [Int]
        public var stride: [Int]
        public init(kernelSize: [Int], stride: [Int]? = nil) {
            self.kernelSize = kernelSize
            self.stride = stride ?? kernelSize
        }
    }

    public static let kind = "AveragePooling"
    public let configuration: Configuration

    public init(_ configuration: Configuration) throws {
        guard [2, 3].contains(configuration.kernelSize.count), configuration.stride.count == configuration.kernelSize.count,
              (configuration.kernelSize + configuration.stride).allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("AveragePooling: kernelSize and stride need 2 or 3 positive entries each")
        }
        self.configuration = configuration
    }

    public convenience init(kernelSize: Int, stride: Int? = nil) throws {
        try self.init(Configuration(kernelSize: [kernelSize, kernelSize], stride: [stride ?? kernelSize, stride ?? kernelSize]))
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        let x = inputs[0], c = configuration
        guard x.rank == c.kernelSize.count + 2 else { throw PixelwiseError.shapeMismatch("input \(x) has the wrong rank for pooling") }
        var out = [x[0], x[1]]
        for a in 0..<c.kernelSize.count {
            guard x[2 + a] >= c.kernelSize[a] else { throw PixelwiseError.shapeMismatch("input \(x) is smaller than the pooling window") }
            out.append((x[2 + a] - c.kernelSize[a]) / c.stride[a] + 1)
        }
        return Shape(out)
    }

    private var zeros: [Int] { configuration.kernelSize.map { _ in 0 } }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        let x = inputs[0].inLayout(.channelsLast)
        return try PoolingKernel.forward(.average, x, outputShape: try outputShape(for: [x.shape]), kernel: configuration.kernelSize,
                                         stride: configuration.stride, paddingLow: zeros, paddingHigh: zeros, training: mode == .training).output
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard needsInputGradient[0] else { return [nil] }
        return [try PoolingKernel.backward(.average, gradient, inputShape: inputs[0].shape, kernel: configuration.kernelSize,
                                           stride: configuration.stride, paddingLow: zeros, paddingHigh: zeros, workspace: nil)]
    }

    public var window: SpatialWindow? {
        SpatialWindow(role: .pooling, kernel: configuration.kernelSize, stride: configuration.stride,
                      dilation: configuration.kernelSize.map { _ in 1 })
    }
}
