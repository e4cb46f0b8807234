import PixelwiseCore
import PixelwiseKernels

/// Max pooling with stride and kernel stride (dilation): the SK-Nets' strided pooling.
///
/// y[n, c, p] = max_k x[n, c, s·p + d·k];  dL/dx receives dL/dy at each window's arg-max.
/// Shapes: (N, C, [D,] H, W) → (N, C, [D',] H', W'), H' = ⌊(H − d·(k − 1) − 1) / s⌋ + 1 (no padding).
///
/// Dense kernels (d = 1) run on oneDNN's JIT pooling. oneDNN 2.6 runs dilated pooling only on its
/// reference kernel (100–200× slower), so d > 1 uses the loop below, which records arg-max offsets.
public final class MaxPooling: Layer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var kernelSize: [Int]
        public var stride: [Int]
        public var dilation: [Int]
        public init(kernelSize: [Int], stride: [Int]? = nil, dilation: [Int]? = nil) {
            self.kernelSize = kernelSize
            self.stride = stride ?? kernelSize
            self.dilation = dilation ?? kernelSize.map { _ in 1 }
        }
    }

    public static let kind = "MaxPooling"
    public let configuration: Configuration
    private var workspace: AnyObject?
    private var argmax: [Int32] = []

    public init(_ configuration: Configuration) throws {
        let c = configuration
        guard [2, 3].contains(c.kernelSize.count), c.stride.count == c.kernelSize.count, c.dilation.count == c.kernelSize.count,
              (c.kernelSize + c.stride + c.dilation).allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("MaxPooling: kernelSize, stride, dilation need 2 or 3 positive entries each")
        }
        self.configuration = c
    }

    public convenience init(kernelSize: Int, stride: Int? = nil, dilation: Int = 1) throws {
        try self.init(Configuration(kernelSize: [kernelSize, kernelSize], stride: [stride ?? kernelSize, stride ?? kernelSize],
                                    dilation: [dilation, dilation]))
    }

    var isDilated: Bool { configuration.dilation.contains { $0 > 1 } }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        let x = inputs[0], c = configuration
        guard x.rank == c.kernelSize.count + 2 else { throw PixelwiseError.shapeMismatch("input \(x) has the wrong rank for \(c.kernelSize.count)-D pooling") }
        var out = [x[0], x[1]]
        for a in 0..<c.kernelSize.count {
            let span = x[2 + a] - c.dilation[a] * (c.kernelSize[a] - 1)
            guard span >= 1 else { throw PixelwiseError.shapeMismatch("input \(x) is smaller than the pooling window") }
            out.append((span - 1) / c.stride[a] + 1)
        }
        return Shape(out)
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        let x = inputs[0].inLayout(.channelsLast)
        let outShape = try outputShape(for: [x.shape])
        let c = configuration
        if !isDilated {
            let zeros = c.kernelSize.map { _ in 0 }
            let (y, ws) = try PoolingKernel.forward(.max, x, outputShape: outShape, kernel: c.kernelSize, stride: c.stride,
                                                    paddingLow: zeros, paddingHigh: zeros, training: mode == .training)
            workspace = ws
            return y
        }
        let (y, arg) = dilatedForward(x, outShape)
        argmax = mode == .training ? arg : []
        return y
    }

    /// The SK pooling loop over channels-last memory; returns arg-max element offsets into x.
    private func dilatedForward(_ x: Tensor, _ outShape: Shape) -> (Tensor, [Int32]) {
        let i = Extent(x.shape), o = Extent(outShape), c = configuration
        let k = c.kernelSize.count == 3 ? c.kernelSize : [1] + c.kernelSize
        let s = c.stride.count == 3 ? c.stride : [1] + c.stride
        let d = c.dilation.count == 3 ? c.dilation : [1] + c.dilation
        var y = Tensor(uninitialized: outShape, layout: .channelsLast)
        var arg = [Int32](repeating: 0, count: outShape.count)
        let src = x.storage.pointer
        y.withUnsafeMutableBufferPointer { dst in
            arg.withUnsafeMutableBufferPointer { am in
                let dstBase = dst.baseAddress!, amBase = am.baseAddress!
                parallelFor(o.n * o.d * o.h) { row in
                    let n = row / (o.d * o.h), oz = (row / o.h) % o.d, oy = row % o.h
                    for ox in 0..<o.w {
                        let outOffset = (((n * o.d + oz) * o.h + oy) * o.w + ox) * o.c
                        for ch in 0..<o.c {
                            var best = -Float.infinity, bestAt = 0
                            for kz in 0..<k[0] { for ky in 0..<k[1] { for kx in 0..<k[2] {
                                let z = oz * s[0] + kz * d[0], yy = oy * s[1] + ky * d[1], xx = ox * s[2] + kx * d[2]
                                let at = (((n * i.d + z) * i.h + yy) * i.w + xx) * i.c + ch
                                if src[at] > best { best = src[at]; bestAt = at }
                            } } }
                            dstBase[outOffset + ch] = best
                            amBase[outOffset + ch] = Int32(bestAt)
                        }
                    }
                }
            }
        }
        return (y, arg)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard needsInputGradient[0] else { return [nil] }
        let inShape = inputs[0].shape, c = configuration
        if !isDilated {
            let zeros = c.kernelSize.map { _ in 0 }
            return [try PoolingKernel.backward(.max, gradient, inputShape: inShape, kernel: c.kernelSize, stride: c.stride,
                                               paddingLow: zeros, paddingHigh: zeros, workspace: workspace)]
        }
        guard argmax.count == gradient.count else { throw PixelwiseError.invalidArgument("MaxPooling backward without a training forward") }
        var dx = Tensor(zeros: inShape, layout: .channelsLast)
        let g = gradient.inLayout(.channelsLast)
        dx.withUnsafeMutableBufferPointer { d in
            g.withUnsafeBufferPointer { gp in
                for j in 0..<gp.count { d[Int(argmax[j])] += gp[j] }
            }
        }
        return [dx]
    }

    public var window: SpatialWindow? {
        SpatialWindow(role: .pooling, kernel: configuration.kernelSize, stride: configuration.stride, dilation: configuration.dilation)
    }

    /// Dense kernels run on oneDNN's pooling in inference plans too; dilated ones on the loop above.
    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        guard !isDilated else { return plan.fallback(self, inputs) }
        return try plan.program.maxPooling(inputs[0], kernel: configuration.kernelSize, stride: configuration.stride,
                                           outputShape: plan.outputShape, name: plan.name)
    }
}
