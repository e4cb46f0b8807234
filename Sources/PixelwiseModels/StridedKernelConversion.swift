import PixelwiseCore

/// Tschopp's Algorithm 1: turns a sliding-window network into its strided-kernel (SK) network,
/// which classifies every pixel of an (w_SW + m − 1)² input in one pass (m × m outputs) with the
/// same weights and numerically the same results as m² sliding-window passes.
///
/// Walking the layers with w_SW (the SW map size) and a running kernel stride d_temp = 1:
/// - convolution: k_SK = k_SW, d = d_temp; w_SW ← w_SW − (k − 1).
/// - pooling: needs w_SW mod k = 0 and s = k; becomes pooling with s = 1, d = d_temp;
///   w_SW ← w_SW / k; d_temp ← d_temp · k.
/// - inner product: becomes a convolution with k = w_SW, d = d_temp; w_SW ← 1; d_temp ← 1.
/// - anything else is copied, and must be element-wise (k = 1).
/// At the end d_temp must be 1, or output pixels would not be independent (a missing inner product).
/// Every SK layer has stride 1 and no padding, so w_SK shrinks by (k − 1)·d per layer (the graph's
/// shape inference gives it). Each violation is an error naming the layer.
public enum StridedKernelConversion {
    public static func convert(_ sw: SlidingWindowNetwork) throws -> StridedKernelNetwork {
        var wSW = sw.inputSize, dTemp = 1
        var lastPooling: String?
        var out: [LayerSpec] = []
        func fail(_ layer: LayerSpec, _ problem: String) -> PixelwiseError {
            .invalidArgument("Algorithm 1: \(layer.name) (\(layer.kind.rawValue)): \(problem)")
        }
        for l in sw.layers {
            var sk = l
            sk.stride = 1
            switch l.kind {
            case .convolution:
                guard l.stride == 1, l.kernelStride == 1 else { throw fail(l, "SW convolutions must have stride 1 and kernel stride 1") }
                guard wSW >= l.kernelSize else { throw fail(l, "input w = \(wSW) is smaller than the kernel k = \(l.kernelSize)") }
                sk.kernelStride = dTemp
                wSW -= l.kernelSize - 1
            case .maxPooling:
                guard l.kernelSize == l.stride else {
                    throw fail(l, "pooling stride s = \(l.stride) differs from its kernel k = \(l.kernelSize); only down-sampling pooling (s = k) converts")
                }
                guard wSW % l.kernelSize == 0 else {
                    throw fail(l, "pooling input w = \(wSW) is not divisible by its kernel k = \(l.kernelSize) (Eq. 3.3: make the layer before it output a multiple of k)")
                }
                sk.kernelStride = dTemp
                wSW /= l.kernelSize
                dTemp *= l.kernelSize
                lastPooling = l.name
            case .innerProduct:
                sk.kind = .convolution
                sk.kernelSize = wSW
                sk.kernelStride = dTemp
                wSW = 1
                dTemp = 1
            case .relu, .dropout, .softmax:
                guard l.kernelSize == 1 else {
                    throw fail(l, "element-wise layer with k = \(l.kernelSize) > 1 cannot run on strided feature maps")
                }
            }
            out.append(sk)
        }
        guard dTemp == 1 else {
            throw PixelwiseError.invalidArgument(
                "Algorithm 1: the last layer ends with kernel stride d = \(dTemp) ≠ 1 (set by \(lastPooling ?? "pooling")): output pixels would not be independent; add an inner-product layer after it")
        }
        return StridedKernelNetwork(windowSize: sw.inputSize, inputChannels: sw.inputChannels, layers: out, initializer: sw.initializer)
    }
}
