import PixelwiseNN
import PixelwiseCore

/// A configurable U-Net (Ronneberger et al. 2015): `depth` pooling steps down a contracting path
/// of double convolutions whose filter count doubles per level, then back up an expanding path
/// that up-samples, joins the matching encoder map (concatenation, or MergeCrop for valid
/// padding) and convolves twice; a final 1×1 convolution gives one logit map per class.
///
/// Variants covered: valid padding with MergeCrop (Ronneberger, Tschopp's Table 3.4: 572 → 388),
/// same padding (Intel, MagmaDNN), batch norm, dropout at the end of the contracting path or after
/// the first convolution of chosen levels (Intel's "3a and 4a"), up-sampling by 2×2 transposed
/// convolution, MagmaDNN's 3×3 stride-2 transposed convolution + 3×3 convolution, or a fixed
/// nearest/bilinear resize followed by a 1×1/2×2/3×3 convolution or by nothing (Intel's
/// UpSampling2D variant), residual blocks (ResU-Net), and volumes: the 3-D U-Net (Çiçek et al.
/// 2016), optionally anisotropic for stacks whose sections are much thicker than their pixels.
///
/// Parameter paths: `enc<level>.conv<1|2>`, `enc<level>.bn<1|2>` (batch norm) or `enc<level>.norm<1|2>`
/// (instance or group norm), `enc<level>.shortcut` (residual),
/// `up<level>`, `up<level>.conv` (MagmaDNN), `dec<level>.conv<1|2>`, `classifier` — stable, they
/// are the model file's dataset paths. Levels count from 1 at full resolution.
public struct UNet: Codable, Equatable, Sendable {
    public enum UpMode: String, Codable, Sendable, CaseIterable {
        /// 2×2 transposed convolution with stride 2 halving the channels (Ronneberger, Intel).
        case transposed
        /// MagmaDNN's DecoderMiniBlock: 3×3 transposed convolution with stride 2 (padding 1,
        /// output padding 1, no bias) keeping the channels, then a 3×3 same convolution halving them.
        case transposed3x3
        /// Nearest-neighbour ×2, then `resizeProjection`.
        case nearest
        /// Bilinear ×2 (align_corners = false), then `resizeProjection`.
        case bilinear
    }

    /// What follows a parameter-free resize (`nearest`, `bilinear`) before the skip is joined.
    public enum ResizeProjection: Codable, Equatable, Sendable {
        /// A convolution halving the channels: 2×2 (padded at the high end) for valid padding,
        /// 3×3 for same padding.
        case automatic
        /// A k×k convolution halving the channels; Tschopp's U-Net uses k = 1 after its fixed
        /// nearest-neighbour "deconvolution" (Table 3.4: upconv1 then conv11).
        case kernel(Int)
        /// None: the resized maps are concatenated as they are (Intel's UpSampling2D version),
        /// so the decoder's first convolution reads f(level + 1) + f(level) channels.
        case none
    }

    /// Where dropout layers go (each with probability `dropout`).
    public enum DropoutPlacement: Codable, Equatable, Sendable {
        /// After the deepest encoder block, Ronneberger's "end of the contracting path".
        case bottleneck
        /// After the first convolution's activation of the given encoder levels (1-based): Intel's
        /// layers 3a and 4a are levels [3, 4] of a depth-4 net.
        case afterFirstConvolution(levels: [Int])
    }

    /// The normalisation after every convolution of the blocks (`norm:` in presets and YAML).
    public enum Normalization: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
        /// None: the convolutions keep their biases.
        case none
        /// Batch norm (running statistics for inference), layers `<block>.bn<i>`; the convolutions
        /// lose their biases (the norm's β takes their place).
        case batch
        /// Instance norm (nnU-Net's default), layers `<block>.norm<i>`; convolutions without biases,
        /// which the per-map mean would remove anyway.
        case instance
        /// Group norm, layers `<block>.norm<i>`. `groups` nil (the default): gcd(32, C) groups for a
        /// layer of C channels — Wu & He's 32 where C is a multiple of 32 (also MONAI's and most
        /// PyTorch code's choice), else the largest power of two dividing C, so narrow layers
        /// (16 channels: 16 groups of one) still normalise. A given count must divide every
        /// normalised layer's channels. The convolutions keep their biases (a group's mean does
        /// not remove a per-channel constant).
        case group(groups: Int? = nil)

        /// Parses `batch`, `instance`, `group`, `group:<count>` or `none`.
        public init(parsing text: String) throws {
            let t = text.lowercased()
            switch t {
            case "batch": self = .batch
            case "instance": self = .instance
            case "group": self = .group()
            case "none": self = .none
            default:
                if t.hasPrefix("group:"), let n = Int(t.dropFirst(6)), n > 0 { self = .group(groups: n); return }
                throw PixelwiseError.invalidArgument("unknown norm \(text); use batch, instance, group, group:<groups> or none")
            }
        }

        /// The text `init(parsing:)` reads.
        public var description: String {
            switch self {
            case .none: return "none"
            case .batch: return "batch"
            case .instance: return "instance"
            case .group(let g): return g.map { "group:\($0)" } ?? "group"
            }
        }

        /// Group count for a layer of `channels` channels.
        func groups(channels: Int) -> Int {
            guard case .group(let g) = self else { return channels }
            if let g { return g }
            var d = 1
            while d < 32, channels % (2 * d) == 0 { d *= 2 }
            return d
        }
    }

    public var inputChannels = 1
    public var classes = 2
    public var depth = 4
    public var baseFilters = 64
    public var padding: Padding = .same
    public var norm: Normalization = .none
    /// `norm == .batch`, the flag older code sets.
    public var batchNorm: Bool {
        get { norm == .batch }
        set { norm = newValue ? .batch : (norm == .batch ? .none : norm) }
    }
    /// Dropout probability, 0 for none; see `dropoutPlacement`.
    public var dropout: Float = 0
    public var dropoutPlacement: DropoutPlacement = .bottleneck
    public var upMode: UpMode = .transposed
    public var resizeProjection: ResizeProjection = .automatic
    /// Residual blocks (ResU-Net): each double convolution gets an identity or 1×1-convolution
    /// shortcut added before its last activation. Needs same padding.
    public var residual = false
    /// Filter counts stop doubling here (MagmaDNN/Intel caps).
    public var maxFilters = Int.max
    public var initializer: Initializer = .he
    /// 2 for images (N, C, H, W); 3 for volumes (N, C, D, H, W).
    public var spatialDimensions = 2
    /// Volumes only: the first `anisotropicLevels` levels leave the depth axis alone — 1×3×3
    /// convolutions, and 1×2×2 pooling into and up-sampling out of the next level — until the
    /// voxels are about as deep as they are wide (serial-section EM, 4×4×40 nm: three such levels).
    /// `depth + 1` makes every kernel one section deep: the 2-D U-Net applied slice by slice.
    ///
    /// Valid padding works for volumes as for images: MergeCrop centre-crops the skip on every
    /// axis, and the network is exact under tiling (`BlockSegmenter`).
    public var anisotropicLevels = 0

    public init(inputChannels: Int = 1, classes: Int = 2, depth: Int = 4, baseFilters: Int = 64, padding: Padding = .same,
                batchNorm: Bool = false, norm: Normalization? = nil, dropout: Float = 0, dropoutPlacement: DropoutPlacement = .bottleneck,
                upMode: UpMode = .transposed, resizeProjection: ResizeProjection = .automatic, residual: Bool = false,
                maxFilters: Int = .max, initializer: Initializer = .he) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.depth = depth
        self.baseFilters = baseFilters
        self.padding = padding
        self.norm = norm ?? (batchNorm ? .batch : .none)
        self.dropout = dropout
        self.dropoutPlacement = dropoutPlacement
        self.upMode = upMode
        self.resizeProjection = resizeProjection
        self.residual = residual
        self.maxFilters = maxFilters
        self.initializer = initializer
    }

    /// Filters of level `level` (0-based): baseFilters · 2^level, capped at maxFilters.
    func filters(_ level: Int) -> Int { min(baseFilters << level, maxFilters) }

    /// Kernel side `k` on every spatial axis of level `level` (0-based); depth 1 on anisotropic levels.
    func kernel(_ k: Int, level: Int) -> [Int] {
        spatialDimensions == 2 ? [k, k] : [level < anisotropicLevels ? min(k, 1) : k, k, k]
    }

    /// The pooling (and up-sampling) factors between level `level` and the next: 2 on every axis,
    /// but 1 in depth below `anisotropicLevels`.
    func scale(below level: Int) -> [Int] { kernel(2, level: level) }

    func validate() throws {
        guard depth >= 0, baseFilters > 0, classes >= 1, inputChannels >= 1 else {
            throw PixelwiseError.invalidArgument("U-Net: depth ≥ 0, baseFilters ≥ 1, classes ≥ 1 and inputChannels ≥ 1 are required")
        }
        guard [2, 3].contains(spatialDimensions), (0...depth + 1).contains(anisotropicLevels), spatialDimensions == 3 || anisotropicLevels == 0 else {
            throw PixelwiseError.invalidArgument("U-Net: spatialDimensions is 2 or 3, anisotropicLevels 0...depth + 1 (volumes only)")
        }
        if spatialDimensions == 3, upMode == .transposed3x3 {
            throw PixelwiseError.invalidArgument("U-Net: the 3-D U-Net takes 2×2×2 transposed or resize up-sampling (MagmaDNN's 3×3 block is 2-D)")
        }
        if case .explicit = padding {
            throw PixelwiseError.invalidArgument("U-Net: padding is same or valid")
        }
        if residual, padding != .same {
            throw PixelwiseError.invalidArgument("U-Net: residual blocks need same padding (the shortcut cannot be added to a shrunken map)")
        }
        if case .kernel(let k) = resizeProjection, k < 1 {
            throw PixelwiseError.invalidArgument("U-Net: resize projection kernel \(k) must be ≥ 1")
        }
        if case .group(let g?) = norm {
            let widths = Set((0...depth).map(filters))
            if g < 1 || widths.contains(where: { $0 % g != 0 }) {
                throw PixelwiseError.invalidArgument("U-Net: group norm with \(g) groups needs channel counts divisible by \(g); this net has \(widths.sorted().map(String.init).joined(separator: ", "))")
            }
        }
        if case .afterFirstConvolution(let levels) = dropoutPlacement, let bad = levels.first(where: { !(1...depth + 1).contains($0) }) {
            throw PixelwiseError.invalidArgument("U-Net: dropout level \(bad) is not an encoder level (1...\(depth + 1))")
        }
    }

    /// Builds the graph; parameters are initialised from `seed`.
    public func makeGraph(seed: UInt64 = 1) throws -> Graph {
        try validate()
        let g = Graph(inputChannels: inputChannels, spatialRank: spatialDimensions)
        var x = g.input
        var skips: [Graph.Value] = []
        var channels = inputChannels
        for level in 0...depth {
            if level > 0 { x = try g.add("pool\(level)", MaxPooling(MaxPooling.Configuration(kernelSize: scale(below: level - 1))), x) }
            x = try encoderBlock(g, level: level, x, from: channels)
            channels = filters(level)
            if level == depth, dropout > 0, dropoutPlacement == .bottleneck {
                x = try g.add("dropout", Dropout(probability: dropout), x)
            }
            if level < depth { skips.append(x) }
        }
        for level in stride(from: depth - 1, through: 0, by: -1) {
            let out = filters(level)
            let (up, upChannels) = try upsample(g, "up\(level + 1)", x, from: channels, to: out, level: level)
            let join: any Layer = padding == .valid ? MergeCrop() : Concatenation()
            x = try g.add("merge\(level + 1)", join, up, skips[level])
            x = try block(g, "dec\(level + 1)", x, level: level, from: upChannels + out, to: out, dropoutAfterFirst: false)
            channels = out
        }
        try g.add("classifier", Convolution(Convolution.Configuration(inputChannels: channels, outputChannels: classes, kernelSize: kernel(1, level: 0),
                                                                     initializer: initializer)), x)
        g.metadata["model"] = residual ? "resunet" : "unet"
        g.resetParameters(seed: seed)
        return g
    }

    private func encoderBlock(_ g: Graph, level: Int, _ x: Graph.Value, from: Int) throws -> Graph.Value {
        var dropHere = false
        if dropout > 0, case .afterFirstConvolution(let levels) = dropoutPlacement { dropHere = levels.contains(level + 1) }
        return try block(g, "enc\(level + 1)", x, level: level, from: from, to: filters(level), dropoutAfterFirst: dropHere)
    }

    /// Up-sampling from level `level + 1` to `level`.
    private func upsample(_ g: Graph, _ name: String, _ x: Graph.Value, from: Int, to: Int, level: Int) throws -> (Graph.Value, Int) {
        let factor = scale(below: level)
        switch upMode {
        case .transposed:
            let t = try TransposedConvolution(TransposedConvolution.Configuration(
                inputChannels: from, outputChannels: to, kernelSize: factor, stride: factor, initializer: initializer))
            return (try g.add(name, t, x), to)
        case .transposed3x3:
            let t = try TransposedConvolution(TransposedConvolution.Configuration(
                inputChannels: from, outputChannels: from, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1],
                outputPadding: [1, 1], bias: false, initializer: initializer))
            let y = try g.add(name, t, x)
            return (try g.add("\(name).conv", Convolution(inputChannels: from, outputChannels: to, kernelSize: 3, padding: .same,
                                                          initializer: initializer), y), to)
        case .nearest, .bilinear:
            let resize = try Upsampling(Upsampling.Configuration(factor: factor, method: upMode == .nearest ? .nearest : .bilinear))
            let kernel: Int, pad: Padding
            switch resizeProjection {
            case .none: return (try g.add(name, resize, x), from)
            case .kernel(let k): (kernel, pad) = (k, padding)
            case .automatic:
                // Valid padding: a 2×2 convolution (Ronneberger's "up-convolution" shape) padded at the high end
                // (2×2×2, or 1×2×2 on anisotropic levels, for volumes); same: 3×3.
                let high = self.kernel(2, level: level).map { $0 - 1 }
                (kernel, pad) = padding == .valid ? (2, .explicit(low: high.map { _ in 0 }, high: high)) : (3, .same)
            }
            let y = try g.add("\(name).resize", resize, x)
            return (try g.add(name, Convolution(Convolution.Configuration(inputChannels: from, outputChannels: to, kernelSize: self.kernel(kernel, level: level),
                                                                          padding: pad, initializer: initializer)), y), to)
        }
    }
}
