import Foundation
import PixelwiseCore

/// Training convolutions by Winograd F(4×4, 3×3): the forward pass, and the backward-data pass,
/// which for a stride-1 convolution is itself a convolution — of dL/dy with the kernel turned by
/// 180° and its channel axes swapped, padded by 2 − p where the forward pass was padded by p.
/// The weights change every step, so they are transformed on every call (a few MFLOP per layer,
/// against GFLOPs of products); the backward-weights pass stays on oneDNN.
///
/// Opt-in (`Graph.winogradTraining` binds `enabled` around the graph's passes), fp32 only, for
/// channels-last 3×3 stride-1 undilated convolutions with at least `minimumChannels` channels in
/// and out (the same rule as inference plans).
public enum WinogradTraining {
    @TaskLocal public static var enabled = false
    public static let minimumChannels = 32

    /// Kernels by (input channels, output channels), and one workspace: training runs one
    /// convolution at a time.
    nonisolated(unsafe) private static var kernels: [[Int]: WinogradConvolution] = [:]
    nonisolated(unsafe) private static var workspace: UnsafeMutablePointer<Float>?
    nonisolated(unsafe) private static var workspaceCount = 0
    private static let lock = NSLock()

    /// Whether this convolution runs here when training.
    static func applies(input: Tensor, weight: Shape, geometry: ConvolutionGeometry, transposed: Bool) -> Bool {
        enabled && !transposed && ConvolutionKernel.trainingMath == .float32 && input.rank == 4 && weight.rank == 4
            && WinogradConvolution.applies(kernel: weight.spatial, geometry: geometry) && min(weight[0], weight[1]) >= minimumChannels
    }

    /// y = conv(x, w) + b, channels-last.
    static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, outputShape: Shape, geometry g: ConvolutionGeometry) -> Tensor {
        let w = weight.inLayout(.rowMajor), b = bias?.inLayout(.rowMajor)
        return run(x.inLayout(.channelsLast), inputChannels: weight.shape[1], outputChannels: weight.shape[0], outputShape: outputShape,
                   padTop: g.paddingLow[0], padLeft: g.paddingLow[1]) { kernel in
            w.withUnsafeBufferPointer { wp in
                if let b { b.withUnsafeBufferPointer { kernel.setWeights(wp.baseAddress!, bias: $0.baseAddress!) } } else { kernel.setWeights(wp.baseAddress!, bias: nil) }
            }
        }
    }

    /// dL/dx = conv(dL/dy, rot180(w) with in and out swapped), padded by 2 − p.
    static func backwardData(_ dy: Tensor, weight: Tensor, inputShape: Shape, geometry g: ConvolutionGeometry) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        let w = weight.inLayout(.rowMajor)
        var turned = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { src in
            for o in 0..<cout { for i in 0..<cin { for k in 0..<9 { turned[(i * cout + o) * 9 + 8 - k] = src[(o * cin + i) * 9 + k] } } }
        }
        return run(dy.inLayout(.channelsLast), inputChannels: cout, outputChannels: cin, outputShape: inputShape,
                   padTop: 2 - g.paddingLow[0], padLeft: 2 - g.paddingLow[1]) { kernel in
            turned.withUnsafeBufferPointer { kernel.setWeights($0.baseAddress!, bias: nil) }
        }
    }

    private static func run(_ x: Tensor, inputChannels: Int, outputChannels: Int, outputShape: Shape, padTop: Int, padLeft: Int,
                            setWeights: (WinogradConvolution) -> Void) -> Tensor {
        lock.lock()
        defer { lock.unlock() }
        let key = [inputChannels, outputChannels]
        let kernel = kernels[key] ?? WinogradConvolution(inputChannels: inputChannels, outputChannels: outputChannels, relu: false)
        kernels[key] = kernel
        setWeights(kernel)
        let tiles = outputShape[0] * ((outputShape[2] + 3) / 4) * ((outputShape[3] + 3) / 4)
        let needed = kernel.workspaceFloats(totalTiles: tiles)
        if needed > workspaceCount {
            workspace?.deallocate()
            workspace = .allocate(capacity: needed)
            workspaceCount = needed
        }
        let y = Tensor(uninitialized: outputShape, layout: .channelsLast)
        kernel.forward(UnsafePointer(x.storage.pointer), batch: x.shape[0], height: x.shape[2], width: x.shape[3], padTop: padTop,
                       padLeft: padLeft, into: y.storage.pointer, outputHeight: outputShape[2], outputWidth: outputShape[3],
                       workspace: workspace!)
        return y
    }
}
