import PixelwiseCore
import PixelwiseNN

/// Tschopp's USK-Net (§3.5, Table 3.5): one U-Net contracting/expanding step around an SK
/// subnet that runs on the once-down-sampled maps.
///
/// data 692 → conv1, conv2 (3×3, f) → 688 → pool1 → 344 → SK subnet (conv3 k6, pool2, conv4 k4,
/// pool3, conv5 k4, pool4, ip1 k8, ip2; made by Algorithm 1 from an 87-pixel SW description, so
/// 344 → 258) → upconv1 (fixed nearest-neighbour ×2, no weights, as Tschopp's deconvolution) → 516
/// → conv6 1×1 → mergecrop1 with conv2's maps → conv7, conv8 (3×3) → 512 → ip3 1×1 → classes.
/// Output = input − 180 for any even input ≥ 182. With f = 64 (Table 3.5), Eq. 3.6 gives ≈ 5.5·10⁶
/// weights. SK layers are initialised with N(0, 0.01²), U layers with He (Tschopp's choices).
/// All widths scale with `baseFilters` f: SK convolutions 2f, ip1 8f, ip2 4f, conv6 and conv7 2f, conv8 f.
public struct USKNet: Codable, Equatable, Sendable {
    public var inputChannels = 1
    public var classes = 2
    public var baseFilters = 64

    public init(inputChannels: Int = 1, classes: Int = 2, baseFilters: Int = 64) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.baseFilters = baseFilters
    }

    /// The sliding-window network the SK subnet is converted from (w_SW = 87: Eq. 3.3/3.4 backwards from ip1's 8).
    public var slidingWindowSubnet: SlidingWindowNetwork {
        let f = baseFilters
        return SlidingWindowNetwork(inputSize: 87, inputChannels: f, layers: [
            .convolution("conv3", outputs: 2 * f, kernel: 6), .relu("relu3"), .maxPooling("pool2", kernel: 2),
            .convolution("conv4", outputs: 2 * f, kernel: 4), .relu("relu4"), .maxPooling("pool3", kernel: 2),
            .convolution("conv5", outputs: 2 * f, kernel: 4), .relu("relu5"), .maxPooling("pool4", kernel: 2),
            .innerProduct("ip1", outputs: 8 * f), .relu("relu6"),
            .innerProduct("ip2", outputs: 4 * f), .relu("relu7"),
        ])
    }

    public func makeGraph(seed: UInt64 = 1) throws -> Graph {
        guard inputChannels >= 1, classes >= 1, baseFilters >= 1 else {
            throw PixelwiseError.invalidArgument("USK-Net: inputChannels, classes and baseFilters must be ≥ 1")
        }
        let f = baseFilters
        let g = Graph(inputChannels: inputChannels)
        func conv(_ name: String, _ x: Graph.Value, _ from: Int, _ to: Int, _ k: Int) throws -> Graph.Value {
            try g.add(name, Convolution(inputChannels: from, outputChannels: to, kernelSize: k, initializer: .he), x)
        }
        var x = try conv("conv1", g.input, inputChannels, f, 3)
        x = try g.add("relu1", ReLU(), x)
        x = try conv("conv2", x, f, f, 3)
        let skip = try g.add("relu2", ReLU(), x)
        x = try g.add("pool1", MaxPooling(kernelSize: 2), skip)
        let sk = try StridedKernelConversion.convert(slidingWindowSubnet)
        x = try sk.add(to: g, after: x)
        x = try g.add("upconv1", Upsampling(factor: 2, method: .nearest), x)
        x = try conv("conv6", x, sk.outputChannels, 2 * f, 1)
        x = try g.add("mergecrop1", MergeCrop(), x, skip)
        x = try conv("conv7", x, 3 * f, 2 * f, 3)
        x = try g.add("relu8", ReLU(), x)
        x = try conv("conv8", x, 2 * f, f, 3)
        x = try g.add("relu9", ReLU(), x)
        try conv("ip3", x, f, classes, 1)
        g.metadata["model"] = "usk-net"
        g.resetParameters(seed: seed)
        return g
    }
}
