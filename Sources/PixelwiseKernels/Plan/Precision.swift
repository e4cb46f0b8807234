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
