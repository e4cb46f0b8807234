import PixelwiseCore
import PixelwiseNN

/// Options every preset understands. `baseFilters` scales a preset's widths (nil: the preset's own);
/// `norm` replaces a U-Net preset's normalisation (nil: the preset's own; other presets refuse it).
public struct PresetOptions: Sendable, Equatable {
    public var inputChannels = 1
    public var classes = 2
    public var baseFilters: Int? = nil
    public var seed: UInt64 = 1
    public var norm: UNet.Normalization? = nil

    public init(inputChannels: Int = 1, classes: Int = 2, baseFilters: Int? = nil, seed: UInt64 = 1, norm: UNet.Normalization? = nil) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.baseFilters = baseFilters
        self.seed = seed
        self.norm = norm
    }
}

/// A named network: `pixelwise models list` prints `name` and `summary`; `build` makes the graph.
public struct ModelPreset: Sendable {
    public let name: String
    public let summary: String
    /// A small input size this preset takes (for smoke runs); `validInputSizes` gives others.
    public let exampleInputSize: Int
    public let build: @Sendable (_ options: PresetOptions) throws -> Graph

    public init(name: String, summary: String, exampleInputSize: Int, build: @escaping @Sendable (_ options: PresetOptions) throws -> Graph) {
        self.name = name
        self.summary = summary
        self.exampleInputSize = exampleInputSize
        self.build = build
    }

    /// Builds the graph and records the preset and options in its metadata (stored in model files).
    public func makeGraph(_ options: PresetOptions = PresetOptions()) throws -> Graph {
        let g = try build(options)
        g.metadata["preset"] = name
        g.metadata["classes"] = String(options.classes)
        g.metadata["seed"] = String(options.seed)
        if let b = options.baseFilters { g.metadata["baseFilters"] = String(b) }
        if let n = options.norm { g.metadata["norm"] = n.description }
        return g
    }
}

/// The model zoo: the U-Net family and Tschopp's SW/SK/USK networks.
public enum ModelZoo {
    static func unet(_ o: PresetOptions, _ configure: (inout UNet) -> Void) throws -> Graph {
        var u = UNet(inputChannels: o.inputChannels, classes: o.classes)
        configure(&u)
        if let b = o.baseFilters { u.baseFilters = b }
        if let n = o.norm { u.norm = n }
        return try u.makeGraph(seed: o.seed)
    }

    /// Presets outside the U-Net family have no normalisation to choose.
    static func refuseNorm(_ o: PresetOptions, _ name: String) throws {
        if let n = o.norm { throw PixelwiseError.invalidArgument("\(name) has no norm option (norm \(n) is for the U-Net presets)") }
    }

    public static let presets: [ModelPreset] = [
        ModelPreset(name: "unet", summary: "U-Net for 2-D EM work: depth 4, 16→256 filters, same padding, batch norm, 2×2 transposed up-convolutions",
                    exampleInputSize: 64) { o in
            try unet(o) { $0.depth = 4; $0.baseFilters = 16; $0.batchNorm = true }
        },
        ModelPreset(name: "resunet", summary: "ResU-Net: the `unet` preset with residual blocks (identity or 1×1 shortcut added inside each level)",
                    exampleInputSize: 64) { o in
            try unet(o) { $0.depth = 4; $0.baseFilters = 16; $0.batchNorm = true; $0.residual = true }
        },
        ModelPreset(name: "magmadnn-unet", summary: "MagmaDNN U-Net: 5 encoder blocks (last unpooled), 32→512 filters, batch norm, 3×3 stride-2 transposed conv + 3×3 conv up-sampling",
                    exampleInputSize: 64) { o in
            try unet(o) { $0.depth = 4; $0.baseFilters = 32; $0.batchNorm = true; $0.upMode = .transposed3x3 }
        },
        ModelPreset(name: "intel-unet", summary: "Intel U-Net: 32→512 filters, same padding, dropout 0.2 after layers 3a and 4a, 2×2 transposed up-convolutions",
                    exampleInputSize: 64) { o in
            try unet(o) { $0.depth = 4; $0.baseFilters = 32; $0.dropout = 0.2; $0.dropoutPlacement = .afterFirstConvolution(levels: [3, 4]) }
        },
        ModelPreset(name: "intel-unet-nearest", summary: "Intel U-Net, UpSampling2D version: nearest-neighbour ×2 concatenated without a convolution",
                    exampleInputSize: 64) { o in
            try unet(o) {
                $0.depth = 4; $0.baseFilters = 32; $0.dropout = 0.2; $0.dropoutPlacement = .afterFirstConvolution(levels: [3, 4])
                $0.upMode = .nearest; $0.resizeProjection = .none
            }
        },
        ModelPreset(name: "unet3d", summary: "3-D U-Net (Çiçek et al. 2016) for volumes: depth 3, 16→128 filters, batch norm, same padding, 2×2×2 pooling and transposed convolutions",
                    exampleInputSize: 16) { o in
            try unet(o) { $0.spatialDimensions = 3; $0.depth = 3; $0.baseFilters = 16; $0.batchNorm = true }
        },
        ModelPreset(name: "unet3d-anisotropic", summary: "3-D U-Net for serial-section EM (sections ~10× thicker than pixels): depth 4, 1×3×3 kernels and 1×2×2 pooling on the first 3 levels",
                    exampleInputSize: 16) { o in
            try unet(o) { $0.spatialDimensions = 3; $0.depth = 4; $0.baseFilters = 16; $0.batchNorm = true; $0.anisotropicLevels = 3 }
        },
        ModelPreset(name: "unet3d-valid", summary: "3-D U-Net with valid padding (Çiçek et al.'s own): depth 3, 16→128 filters, batch norm, MergeCrop skips; exact under tiling, 116³ → 28³",
                    exampleInputSize: 116) { o in
            try unet(o) { $0.spatialDimensions = 3; $0.depth = 3; $0.baseFilters = 16; $0.batchNorm = true; $0.padding = .valid }
        },
        ModelPreset(name: "tschopp-unet", summary: "Ronneberger's U-Net as in Tschopp's Table 3.4: valid padding, 572 → 388, 64→1024 filters, nearest ×2 + 1×1 conv, ≈ 29·10⁶ weights",
                    exampleInputSize: 572) { o in
            try unet(o) { $0.depth = 4; $0.baseFilters = 64; $0.padding = .valid; $0.upMode = .nearest; $0.resizeProjection = .kernel(1) }
        },
        ModelPreset(name: "sw-net", summary: "Tschopp's sliding-window network (Table 3.2): one 102×102 window → one pixel, inner-product head, σ = 0.01",
                    exampleInputSize: 102) { o in
            try refuseNorm(o, "sw-net")
            return try swNet(o).makeGraph(seed: o.seed)
        },
        ModelPreset(name: "sk-net", summary: "Tschopp's SK-Net (Table 3.3), made from `sw-net` by Algorithm 1: 229 → 128, kernel strides 1-8, ≈ 20.5·10⁶ weights",
                    exampleInputSize: 229) { o in
            try refuseNorm(o, "sk-net")
            return try StridedKernelConversion.convert(swNet(o)).makeGraph(seed: o.seed)
        },
        ModelPreset(name: "usk-net", summary: "Tschopp's USK-Net (Table 3.5): U step around an SK subnet, 692 → 512, ≈ 5.5·10⁶ weights",
                    exampleInputSize: 692) { o in
            try refuseNorm(o, "usk-net")
            return try USKNet(inputChannels: o.inputChannels, classes: o.classes, baseFilters: o.baseFilters ?? 64).makeGraph(seed: o.seed)
        },
    ]

    /// Table 3.2's network; `baseFilters` b scales its widths by b / 48 (conv1 has 48 maps).
    static func swNet(_ o: PresetOptions) -> SlidingWindowNetwork {
        .tschopp(corrected: true, inputChannels: o.inputChannels, classes: o.classes, width: Double(o.baseFilters ?? 48) / 48)
    }

    public static func preset(named name: String) throws -> ModelPreset {
        guard let p = presets.first(where: { $0.name == name.lowercased() }) else {
            throw PixelwiseError.invalidArgument("unknown model \(name); known: \(presets.map(\.name).joined(separator: ", "))")
        }
        return p
    }
}
