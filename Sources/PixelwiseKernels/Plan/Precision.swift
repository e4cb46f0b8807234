import CDNNL
import PixelwiseCore

/// The number format a compiled inference plan keeps activations and weights in.
///
/// `.float32` is exact (to summation order). `.bfloat16` stores activations and weights with
/// an 8-bit mantissa and accumulates every convolution in fp32 (oneDNN runs it on AMX or
/// AVX-512-BF16 where the CPU has them); outputs differ from fp32 by ≈ 0.2–1 % of their range.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case float32 = "fp32"
    case bfloat16 = "bf16"

    var dataType: dnnl_data_type_t { self == .float32 ? dnnl_f32 : dnnl_bf16 }
    /// Bytes per element.
    public var bytes: Int { self == .float32 ? 4 : 2 }
}

extension Descriptor {
    /// Describes `shape` in `layout` with elements of `precision`.
    static func of(_ shape: Shape, _ layout: Layout, _ precision: Precision) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims(shape)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, precision.dataType, tag(for: layout, rank: shape.rank)),
              "memory_desc_init \(shape) \(precision)")
        return md
    }

    /// A descriptor of `precision` whose format the primitive chooses.
    static func any(_ shape: Shape, _ precision: Precision) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims(shape)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, precision.dataType, dnnl_format_tag_any), "memory_desc_init any")
        return md
    }
}

extension Precision {
    /// Whether this CPU computes bf16 convolutions in hardware (AVX-512-BF16 or AMX), found by
    /// asking oneDNN for a bf16 convolution and checking it did not fall back to its reference
    /// loops. Without it (e.g. an AVX2-only CPU) oneDNN 2.6 has no bf16 convolution at all, so
    /// bf16 requests run in fp32 (`effective`), and the tool says so.
    public static let bfloat16IsNative: Bool = {
        let geometry = ConvolutionGeometry(stride: [1, 1], dilation: [1, 1], paddingLow: [1, 1], paddingHigh: [1, 1])
        guard let descriptor = try? ConvolutionKernel.forwardDescriptor(
            input: [1, 16, 8, 8], weight: [16, 16, 3, 3], hasBias: true, output: [1, 16, 8, 8], geometry: geometry,
            transposed: false, layout: .channelsLast, training: false, precision: .bfloat16) else { return false }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return false }
        return !String(cString: name).hasPrefix("ref")
    }()

    /// The precision that will actually run: `.bfloat16` only where the CPU has bf16 arithmetic.
    public var effective: Precision { self == .bfloat16 && !Precision.bfloat16IsNative ? .float32 : self }
}
