@_exported import PixelwiseNN

/// A configurable U-Net (Ronneberger et al. 2015): `depth` pooling steps down a contracting path
/// of double convolutions whose filter count doubles per level, then back up an expanding path
/// that up-samples, joins the matching encoder map (concatenation, or MergeCrop for valid
/// padding) and convolves twice; a final 1×1 convolution gives one logit map per class.
///
/// Parameter paths: `enc<level>.conv<1|2>`, `enc<level>.bn<1|2>`, `up<level>`, `dec<level>.conv<1|2>`,
/// `classifier` — stable, they are the model file's dataset paths.
public struct UNet: Codable, Equatable, Sendable {
    public enum UpMode: String, Codable, Sendable, CaseIterable {
        /// 2×2 transposed convolution with stride 2 (Ronneberger, Tschopp).
        case transposed
        /// MagmaDNN: 3×3 transposed convolution with stride 2 (output padding 1), then a 3×3 convolution.
        case transposed3x3
        /// Nearest-neighbour ×2 then a 2×2 (valid) or 3×3 (same) convolution halving the channels.
        case nearest
        /// Bilinear ×2 then a convolution, as `nearest`.
        case bilinear
    }

    public var inputChannels = 1
    public var classes = 2
    public var depth = 4
    public var baseFilters = 64
    public var padding: Padding = .same
    public var batchNorm = false
    /// Dropout probability after the deepest encoder block (Intel's 0.2), 0 for none.
    public var dropout: Float = 0
    public var upMode: UpMode = .transposed
    /// Filter counts stop doubling here (MagmaDNN/Intel caps).
    public var maxFilters = Int.max
    public var initializer: Initializer = .he

    public init(inputChannels: Int = 1, classes: Int = 2, depth: Int = 4, baseFilters: Int = 64, padding: Padding = .same,
                batchNorm: Bool = false, dropout: Float = 0, upMode: UpMode = .transposed, maxFilters: Int = .max,
                initializer: Initializer = .he) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.depth = depth
        self.baseFilters = baseFilters
        self.padding = padding
        self.batchNorm = batchNorm
        self.dropout = dropout
        self.upMode = upMode
        self.maxFilters = maxFilters
        self.initializer = initializer
    }

    func filters(_ level: Int) -> Int { min(baseFilters << level, maxFilters) }

    /// Builds the graph; parameters are initialised from `seed`.
    public func makeGraph(seed: UInt64 = 1) throws -> Graph {
        guard depth >= 0, baseFilters > 0, classes >= 1, inputChannels >= 1 else {
            throw PixelwiseError.invalidArgument("U-Net: depth ≥ 0, baseFilters ≥ 1, classes ≥ 1 and inputChannels ≥ 1 are required")
        }
        let g = Graph(inputChannels: inputChannels)
        var x = g.input
        var skips: [Graph.Value] = []
        var channels = inputChannels
        for level in 0...depth {
            if level > 0 { x = try g.add("pool\(level)", MaxPooling(kernelSize: 2), x) }
            x = try doubleConvolution(g, "enc\(level + 1)", x, from: channels, to: filters(level))
            channels = filters(level)
            if level == depth, dropout > 0 { x = try g.add("dropout", Dropout(probability: dropout), x) }
            if level < depth { skips.append(x) }
        }
        for level in stride(from: depth - 1, through: 0, by: -1) {
            let out = filters(level)
            x = try upsample(g, "up\(level + 1)", x, from: channels, to: out)
            let join: any Layer = padding == .valid ? MergeCrop() : Concatenation()
            x = try g.add("merge\(level + 1)", join, x, skips[level])
            x = try doubleConvolution(g, "dec\(level + 1)", x, from: 2 * out, to: out)
            channels = out
        }
        try g.add("classifier", Convolution(inputChannels: channels, outputChannels: classes, kernelSize: 1, initializer: initializer), x)
        g.metadata["model"] = "unet"
        g.resetParameters(seed: seed)
        return g
    }

    private func convolution(_ g: Graph, _ name: String, _ x: Graph.Value, from: Int, to: Int, kernel: Int = 3) throws -> Graph.Value {
        try g.add(name, Convolution(inputChannels: from, outputChannels: to, kernelSize: kernel, padding: padding,
                                    bias: !batchNorm, initializer: initializer), x)
    }

    private func doubleConvolution(_ g: Graph, _ block: String, _ x: Graph.Value, from: Int, to: Int) throws -> Graph.Value {
        var x = x
        for i in 1...2 {
            x = try convolution(g, "\(block).conv\(i)", x, from: i == 1 ? from : to, to: to)
            if batchNorm { x = try g.add("\(block).bn\(i)", BatchNormalization(channels: to), x) }
            x = try g.add("\(block).relu\(i)", ReLU(), x)
        }
        return x
    }

    private func upsample(_ g: Graph, _ name: String, _ x: Graph.Value, from: Int, to: Int) throws -> Graph.Value {
        switch upMode {
        case .transposed:
            return try g.add(name, TransposedConvolution(inputChannels: from, outputChannels: to, kernelSize: 2, stride: 2), x)
        case .transposed3x3:
            let y = try g.add(name, TransposedConvolution(inputChannels: from, outputChannels: to, kernelSize: 3, stride: 2,
                                                           padding: 1, outputPadding: 1), x)
            let z = try g.add("\(name).conv", Convolution(inputChannels: to, outputChannels: to, kernelSize: 3, padding: .same), y)
            return try g.add("\(name).relu", ReLU(), z)
        case .nearest, .bilinear:
            let y = try g.add("\(name).resize", Upsampling(factor: 2, method: upMode == .nearest ? .nearest : .bilinear), x)
            // Valid padding: a 2×2 convolution (Ronneberger's "up-convolution" shape); same: 3×3.
            return try g.add(name, Convolution(inputChannels: from, outputChannels: to, kernelSize: padding == .valid ? 2 : 3,
                                               padding: padding == .valid ? .explicit(low: [0, 0], high: [1, 1]) : .same), y)
        }
    }
}
