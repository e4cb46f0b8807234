import PixelwiseCore
import PixelwiseNN

/// A sliding-window (SW) network: classifies the centre of one w_SW × w_SW window per forward
/// pass, ending in inner-product layers (Tschopp §3.2, Julien Martel's network).
///
/// Feature-map sizes follow Caffe: convolution w ← w − (k − 1), pooling w ← ⌈w / k⌉ (Caffe pads a
/// window that overhangs the border, as Table 3.1's 43 → 22 shows), inner product w ← 1.
public struct SlidingWindowNetwork: Codable, Equatable, Sendable {
    /// w_SW^(0), the window size.
    public var inputSize: Int
    public var inputChannels: Int
    public var layers: [LayerSpec]
    /// Tschopp initialises SW and SK networks with N(0, 0.01²).
    public var initializer: Initializer

    public init(inputSize: Int, inputChannels: Int, layers: [LayerSpec],
                initializer: Initializer = .gaussian(mean: 0, standardDeviation: 0.01)) {
        self.inputSize = inputSize
        self.inputChannels = inputChannels
        self.layers = layers
        self.initializer = initializer
    }

    /// Table 3.1 (w_SW = 100; its pool2 input 43 is odd, so Algorithm 1 rejects it) or, with
    /// `corrected`, Table 3.2 (w_SW = 102, every pooling input even). The final Softmax ("prob")
    /// is left out: training takes the logits.
    public static func tschopp(corrected: Bool = true, inputChannels: Int = 3, classes: Int = 2, width: Double = 1) -> SlidingWindowNetwork {
        func f(_ n: Int) -> Int { max(1, Int((Double(n) * width).rounded())) }
        return SlidingWindowNetwork(inputSize: corrected ? 102 : 100, inputChannels: inputChannels, layers: [
            .convolution("conv1", outputs: f(48), kernel: 7), .relu("relu1"), .maxPooling("pool1", kernel: 2),
            .convolution("conv2", outputs: f(128), kernel: 5), .relu("relu2"), .maxPooling("pool2", kernel: 2),
            .convolution("conv3", outputs: f(192), kernel: 3), .relu("relu3"), .maxPooling("pool3", kernel: 2),
            .innerProduct("ip1", outputs: f(1024)), .relu("relu4"),
            .innerProduct("ip2", outputs: f(512)), .relu("relu5"),
            .innerProduct("ip3", outputs: classes),
        ])
    }

    /// w after each layer for a window of `inputSize` (Caffe's rules above).
    public func featureSizes() throws -> [Int] {
        var w = inputSize, sizes: [Int] = []
        for l in layers {
            switch l.kind {
            case .convolution: w -= (l.kernelSize - 1) * l.kernelStride
            case .maxPooling: w = (w - l.kernelSize + l.stride - 1) / l.stride + 1
            case .innerProduct: w = 1
            case .relu, .dropout, .softmax: break
            }
            guard w >= 1 else { throw PixelwiseError.shapeMismatch("\(l.name): the window of \(inputSize) is too small (w < 1 here)") }
            sizes.append(w)
        }
        return sizes
    }

    /// The SW network as a graph: inner products become convolutions whose kernel covers their
    /// whole input map, so the window gives a 1 × 1 output (a larger input gives a strided,
    /// coarse map). Pooling inputs must divide evenly: our pooling does not pad like Caffe's.
    public func makeGraph(seed: UInt64 = 1) throws -> Graph {
        let g = Graph(inputChannels: inputChannels)
        var x = g.input, channels = inputChannels, w = inputSize
        for l in layers {
            if l.kind == .maxPooling, w % l.stride != 0 || w < l.kernelSize {
                throw PixelwiseError.shapeMismatch("\(l.name): pooling input \(w) is not divisible by its stride \(l.stride)")
            }
            let layer = try l.makeLayer(channels: channels, kernel: l.kind == .innerProduct ? w : nil, initializer: initializer)
            x = try g.add(l.name, layer, x)
            channels = l.outputChannels(channels)
            w = try g.outputShape(for: [1, inputChannels, inputSize, inputSize])[2]
        }
        g.metadata["model"] = "sw-net"
        g.resetParameters(seed: seed)
        return g
    }
}
