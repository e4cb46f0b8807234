import Foundation
import PixelwiseCore

/// Training convolutions by Winograd F(4×4, 3×3) (forward and backward data also F(2×2, 3×3),
/// `tile`): the forward pass, and the backward-data pass,
/// which for a stride-1 convolution is itself a convolution — of dL/dy with the kernel turned by
/// 180° and its channel axes swapped, padded by 2 − p where the forward pass was padded by p.
/// The weights change every step, so they are transformed on every call (a few MFLOP per layer,
/// against GFLOPs of products). The backward-weights pass is F(3×3, 4×4): each 4×4 tile of dL/dy
/// is the kernel run over the 6×6 input tile (`WinogradConvolution.weightGradient`). 3×3×3 layers
/// take the same three paths through `WinogradConvolution3D` (F(2³) or F(4³) for all three passes);
/// both kernels are `WinogradKernel`s.
///
/// fp32 only; `AlgorithmChooser` decides which passes run here (by default measured per pass
/// against the direct kernels, `AlgorithmCatalog`).
public enum WinogradTraining {
    /// Kernels by (rank, input channels, output channels, tile), and one workspace: a real cache,
    /// shared by every graph; training runs one convolution at a time, under its lock.
    private static let cache = KernelCache()

    private final class KernelCache: @unchecked Sendable {
        let lock = NSLock()
        var kernels: [[Int]: any WinogradKernel] = [:]
        var workspace: UnsafeMutablePointer<Float>?
        var workspaceCount = 0

        /// Runs `body` with the kernel for this weight shape (3×3 or 3×3×3) and tile, holding the lock.
        func withKernel<T>(weightShape: Shape, tile: Int, _ body: (any WinogradKernel) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            let key = [weightShape.rank, weightShape[1], weightShape[0], tile]
            let kernel = kernels[key] ?? makeWinogradKernel(weightShape: weightShape, relu: false, tile: tile)
            kernels[key] = kernel
            return body(kernel)
        }

        /// At least `needed` floats; call with the lock held.
        func workspace(_ needed: Int) -> UnsafeMutablePointer<Float> {
            if needed > workspaceCount {
                workspace?.deallocate()
                workspace = .allocate(capacity: needed)
                workspaceCount = needed
            }
            return workspace!
        }
    }

    /// y = conv(x, w) + b, channels-last.
    static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, outputShape: Shape, geometry g: ConvolutionGeometry, tile: Int = 4) -> Tensor {
        run(x.inLayout(.channelsLast), weightShape: weight.shape, outputShape: outputShape, padding: g.paddingLow, tile: tile) {
            $0.setWeights(weight, bias: bias)
        }
    }

    /// dL/dx = conv(dL/dy, rot180(w) with in and out swapped), padded by 2 − p.
    static func backwardData(_ dy: Tensor, weight: Tensor, inputShape: Shape, geometry g: ConvolutionGeometry, tile: Int = 4) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        let w = weight.inLayout(.rowMajor)
        let taps = weight.shape.spatial.reduce(1, *)
        var turned = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { src in
            for o in 0..<cout { for i in 0..<cin { for k in 0..<taps { turned[(i * cout + o) * taps + taps - 1 - k] = src[(o * cin + i) * taps + k] } } }
        }
        return run(dy.inLayout(.channelsLast), weightShape: Shape([cin, cout] + weight.shape.spatial), outputShape: inputShape,
                   padding: g.paddingLow.map { 2 - $0 }, tile: tile) { kernel in
            turned.withUnsafeBufferPointer { kernel.setWeights($0.baseAddress!, bias: nil) }
        }
    }

    /// (dL/dw as OIHW or OIDHW, dL/db = Σ dL/dy per channel).
    static func backwardWeights(_ dy: Tensor, input x: Tensor, weightShape: Shape, hasBias: Bool,
                                geometry g: ConvolutionGeometry, tile: Int = 4) -> (Tensor, Tensor?) {
        let cout = weightShape[0]
        let x = x.inLayout(.channelsLast), dy = dy.inLayout(.channelsLast)
        let dw = Tensor(uninitialized: weightShape, layout: .rowMajor)
        cache.withKernel(weightShape: weightShape, tile: tile) { kernel in
            let ws = cache.workspace(kernel.weightGradientWorkspaceFloats(totalTiles: TileGrid.tiles(covering: dy.shape, tile: tile)))
            kernel.weightGradient(UnsafePointer(x.storage.pointer), UnsafePointer(dy.storage.pointer), input: x.shape, output: dy.shape,
                                  padding: g.paddingLow, into: dw.storage.pointer, workspace: ws)
        }
        guard hasBias else { return (dw, nil) }
        var db = [Double](repeating: 0, count: cout)
        let pixels = dy.count / cout, p = dy.storage.pointer
        for i in 0..<pixels { for c in 0..<cout { db[c] += Double(p[i * cout + c]) } }
        return (dw, Tensor(shape: [cout], scalars: db.map { Float($0) }))
    }

    private static func run(_ x: Tensor, weightShape: Shape, outputShape: Shape, padding: [Int], tile: Int,
                            setWeights: (any WinogradKernel) -> Void) -> Tensor {
        cache.withKernel(weightShape: weightShape, tile: tile) { kernel in
            setWeights(kernel)
            let ws = cache.workspace(kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: outputShape, tile: tile)))
            let y = Tensor(uninitialized: outputShape, layout: .channelsLast)
            kernel.forward(UnsafePointer(x.storage.pointer), input: x.shape, output: outputShape, padding: padding,
                           into: y.storage.pointer, workspace: ws)
            return y
        }
    }
}
