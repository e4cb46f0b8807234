import Foundation
import PixelwiseCore

/// Training convolutions by Winograd F(4×4, 3×3) (forward and backward data also F(2×2, 3×3),
/// `tile`): the forward pass, and the backward-data pass,
/// which for a stride-1 convolution is itself a convolution — of dL/dy with the kernel turned by
/// 180° and its channel axes swapped, padded by 2 − p where the forward pass was padded by p.
/// The weights change every step, so they are transformed on every call (a few MFLOP per layer,
/// against GFLOPs of products). The backward-weights pass is F(3×3, 4×4): each 4×4 tile of dL/dy
/// is the kernel run over the 6×6 input tile (`WinogradConvolution.weightGradient`).
///
/// fp32 only; `AlgorithmChooser` decides which passes run here (by default measured per pass
/// against the direct kernels, `AlgorithmCatalog`).
public enum WinogradTraining {
    /// Kernels by (input channels, output channels), and one workspace: a real cache, shared by
    /// every graph; training runs one convolution at a time, under its lock.
    private static let cache = KernelCache()

    private final class KernelCache: @unchecked Sendable {
        let lock = NSLock()
        var kernels: [[Int]: WinogradConvolution] = [:]
        var kernels3D: [[Int]: WinogradConvolution3D] = [:]
        var workspace: UnsafeMutablePointer<Float>?
        var workspaceCount = 0

        /// Runs `body` with the kernel for these channels, holding the lock.
        func withKernel<T>(inputChannels: Int, outputChannels: Int, tile: Int = 4, _ body: (WinogradConvolution) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            let key = [inputChannels, outputChannels, tile]
            let kernel = kernels[key] ?? WinogradConvolution(inputChannels: inputChannels, outputChannels: outputChannels, relu: false, tile: tile)
            kernels[key] = kernel
            return body(kernel)
        }

        /// Runs `body` with the 3-D kernel for these channels, holding the lock.
        func withKernel3D<T>(inputChannels: Int, outputChannels: Int, tile: Int, _ body: (WinogradConvolution3D) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            let key = [inputChannels, outputChannels, tile]
            let kernel = kernels3D[key] ?? WinogradConvolution3D(inputChannels: inputChannels, outputChannels: outputChannels, relu: false, tile: tile)
            kernels3D[key] = kernel
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
        if weight.shape.rank == 5 {
            return run3D(x.inLayout(.channelsLast), inputChannels: weight.shape[1], outputChannels: weight.shape[0], outputShape: outputShape,
                         padding: Array(g.paddingLow), tile: tile) { $0.setWeights(weight, bias: bias) }
        }
        return run(x.inLayout(.channelsLast), inputChannels: weight.shape[1], outputChannels: weight.shape[0], outputShape: outputShape,
            padTop: g.paddingLow[0], padLeft: g.paddingLow[1], tile: tile) { $0.setWeights(weight, bias: bias) }
    }

    /// dL/dx = conv(dL/dy, rot180(w) with in and out swapped), padded by 2 − p.
    static func backwardData(_ dy: Tensor, weight: Tensor, inputShape: Shape, geometry g: ConvolutionGeometry, tile: Int = 4) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        let w = weight.inLayout(.rowMajor)
        let taps = weight.shape.rank == 5 ? 27 : 9
        var turned = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { src in
            for o in 0..<cout { for i in 0..<cin { for k in 0..<taps { turned[(i * cout + o) * taps + taps - 1 - k] = src[(o * cin + i) * taps + k] } } }
        }
        if taps == 27 {
            return run3D(dy.inLayout(.channelsLast), inputChannels: cout, outputChannels: cin, outputShape: inputShape,
                         padding: g.paddingLow.map { 2 - $0 }, tile: tile) { kernel in
                turned.withUnsafeBufferPointer { kernel.setWeights($0.baseAddress!, bias: nil) }
            }
        }
        return run(dy.inLayout(.channelsLast), inputChannels: cout, outputChannels: cin, outputShape: inputShape,
                   padTop: 2 - g.paddingLow[0], padLeft: 2 - g.paddingLow[1], tile: tile) { kernel in
            turned.withUnsafeBufferPointer { kernel.setWeights($0.baseAddress!, bias: nil) }
        }
    }

    /// (dL/dw as OIHW, dL/db = Σ dL/dy per channel).
    static func backwardWeights(_ dy: Tensor, input x: Tensor, weightShape: Shape, hasBias: Bool,
                                geometry g: ConvolutionGeometry, tile: Int = 4) -> (Tensor, Tensor?) {
        let (cout, cin) = (weightShape[0], weightShape[1])
        let x = x.inLayout(.channelsLast), dy = dy.inLayout(.channelsLast)
        let dw = Tensor(uninitialized: weightShape, layout: .rowMajor)
        if weightShape.rank == 5 {
            cache.withKernel3D(inputChannels: cin, outputChannels: cout, tile: tile) { kernel in
                let grid = TileGrid3D(batch: x.shape[0], input: Array(x.shape.dims[2...]), output: Array(dy.shape.dims[2...]),
                                      padding: Array(g.paddingLow), tile: tile)
                let ws = cache.workspace(kernel.weightGradientWorkspaceFloats(totalTiles: grid.count))
                kernel.weightGradient(UnsafePointer(x.storage.pointer), UnsafePointer(dy.storage.pointer), grid: grid,
                                      into: dw.storage.pointer, workspace: ws)
            }
        } else {
        cache.withKernel(inputChannels: cin, outputChannels: cout) { kernel in
            let ws = cache.workspace(kernel.weightGradientWorkspaceFloats(totalTiles: TileGrid.tiles(covering: dy.shape)))
            kernel.weightGradient(UnsafePointer(x.storage.pointer), UnsafePointer(dy.storage.pointer), batch: x.shape[0], height: x.shape[2],
                                  width: x.shape[3], padTop: g.paddingLow[0], padLeft: g.paddingLow[1], outputHeight: dy.shape[2],
                                  outputWidth: dy.shape[3], into: dw.storage.pointer, workspace: ws)
        }
        }
        guard hasBias else { return (dw, nil) }
        var db = [Double](repeating: 0, count: cout)
        let pixels = dy.count / cout, p = dy.storage.pointer
        for i in 0..<pixels { for c in 0..<cout { db[c] += Double(p[i * cout + c]) } }
        return (dw, Tensor(shape: [cout], scalars: db.map { Float($0) }))
    }

    private static func run3D(_ x: Tensor, inputChannels: Int, outputChannels: Int, outputShape: Shape, padding: [Int],
                              tile: Int, setWeights: (WinogradConvolution3D) -> Void) -> Tensor {
        cache.withKernel3D(inputChannels: inputChannels, outputChannels: outputChannels, tile: tile) { kernel in
            setWeights(kernel)
            let grid = TileGrid3D(batch: x.shape[0], input: Array(x.shape.dims[2...]), output: Array(outputShape.dims[2...]),
                                  padding: padding, tile: tile)
            let ws = cache.workspace(kernel.workspaceFloats(totalTiles: grid.count))
            let y = Tensor(uninitialized: outputShape, layout: .channelsLast)
            kernel.forward(UnsafePointer(x.storage.pointer), grid: grid, into: y.storage.pointer, workspace: ws)
            return y
        }
    }

    private static func run(_ x: Tensor, inputChannels: Int, outputChannels: Int, outputShape: Shape, padTop: Int, padLeft: Int,
                            tile: Int, setWeights: (WinogradConvolution) -> Void) -> Tensor {
        cache.withKernel(inputChannels: inputChannels, outputChannels: outputChannels, tile: tile) { kernel in
            setWeights(kernel)
            let ws = cache.workspace(kernel.workspaceFloats(totalTiles: TileGrid.tiles(covering: outputShape, tile: tile)))
            let y = Tensor(uninitialized: outputShape, layout: .channelsLast)
            kernel.forward(UnsafePointer(x.storage.pointer), batch: x.shape[0], height: x.shape[2], width: x.shape[3], padTop: padTop,
                           padLeft: padLeft, into: y.storage.pointer, outputHeight: outputShape[2], outputWidth: outputShape[3],
                           workspace: ws)
            return y
        }
    }
}
