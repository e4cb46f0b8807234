import PixelwiseCore
import PixelwiseNN

/// One row of a sliding-window or strided-kernel network description, in the columns of
/// Tschopp's Tables 3.1–3.3: layer name, type, f_out, kernel size k, stride s, kernel stride d.
///
/// Descriptions are data so that Algorithm 1 (`StridedKernelConversion`) can rewrite them; a
/// description becomes a `Graph` only at the end.
public struct LayerSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// k×k convolution with f_out outputs.
        case convolution
        /// k×k max pooling with stride s (SW: s = k, down-sampling; SK: s = 1 with kernel stride d).
        case maxPooling
        /// Fully connected layer with f_out outputs over the whole input map (SW-Nets only; its
        /// kernel size is implicitly the input size w, as a convolution covering the whole map).
        case innerProduct
        /// Element-wise layers: Algorithm 1 copies them unchanged, which is only right when k = 1.
        case relu, dropout, softmax
    }

    public var name: String
    public var kind: Kind
    /// k; element-wise layers have 1, inner-product layers take it from their input size.
    public var kernelSize: Int
    /// s.
    public var stride: Int
    /// d: the kernel's dilation (1 in SW-Nets; set by Algorithm 1 in SK-Nets).
    public var kernelStride: Int
    /// f_out for convolution and inner product.
    public var outputs: Int?
    /// Dropout probability.
    public var probability: Float?

    public init(name: String, kind: Kind, kernelSize: Int = 1, stride: Int = 1, kernelStride: Int = 1, outputs: Int? = nil,
                probability: Float? = nil) {
        self.name = name
        self.kind = kind
        self.kernelSize = kernelSize
        self.stride = stride
        self.kernelStride = kernelStride
        self.outputs = outputs
        self.probability = probability
    }

    public static func convolution(_ name: String, outputs: Int, kernel: Int) -> LayerSpec {
        LayerSpec(name: name, kind: .convolution, kernelSize: kernel, outputs: outputs)
    }
    /// SW down-sampling pooling, stride = kernel unless given.
    public static func maxPooling(_ name: String, kernel: Int, stride: Int? = nil) -> LayerSpec {
        LayerSpec(name: name, kind: .maxPooling, kernelSize: kernel, stride: stride ?? kernel)
    }
    public static func innerProduct(_ name: String, outputs: Int) -> LayerSpec {
        LayerSpec(name: name, kind: .innerProduct, outputs: outputs)
    }
    public static func relu(_ name: String) -> LayerSpec { LayerSpec(name: name, kind: .relu) }
    public static func dropout(_ name: String, probability: Float) -> LayerSpec {
        LayerSpec(name: name, kind: .dropout, probability: probability)
    }

    /// Whether Algorithm 1 copies this layer as it is (everything but convolution, pooling, inner product).
    var isElementWise: Bool { [.relu, .dropout, .softmax].contains(kind) }

    /// The layer for this row reading `channels` maps; `kernel` overrides k (inner products).
    func makeLayer(channels: Int, kernel: Int? = nil, initializer: Initializer) throws -> any Layer {
        let k = kernel ?? kernelSize
        switch kind {
        case .convolution, .innerProduct:
            guard let outputs, outputs > 0 else { throw PixelwiseError.invalidArgument("\(name): \(kind.rawValue) needs a positive f_out") }
            return try Convolution(inputChannels: channels, outputChannels: outputs, kernelSize: k, stride: stride,
                                   dilation: kernelStride, initializer: initializer)
        case .maxPooling: return try MaxPooling(kernelSize: k, stride: stride, dilation: kernelStride)
        case .relu: return ReLU()
        case .dropout: return try Dropout(probability: probability ?? 0.5)
        case .softmax: return Softmax()
        }
    }

    /// f_out given f_in.
    func outputChannels(_ channels: Int) -> Int { kind == .convolution || kind == .innerProduct ? (outputs ?? channels) : channels }
}
