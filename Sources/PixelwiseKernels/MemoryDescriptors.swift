import CDNNL
import PixelwiseCore

/// oneDNN memory descriptors for Pixelwise tensors. Activations are described in the tensor's
/// own layout (NCHW or NHWC, NCDHW or NDHWC); weights in PyTorch's OIHW / OIDHW.
enum Descriptor {
    static func dims(_ shape: Shape) -> [Int64] { shape.dims.map(Int64.init) }

    static func tag(for layout: Layout, rank: Int) -> dnnl_format_tag_t {
        switch (layout, rank) {
        case (_, 1): dnnl_a
        case (_, 2): dnnl_ab
        case (.rowMajor, 3): dnnl_abc
        case (.channelsLast, 3): dnnl_acb
        case (.rowMajor, 4): dnnl_abcd
        case (.channelsLast, 4): dnnl_acdb
        case (.rowMajor, 5): dnnl_abcde
        case (.channelsLast, 5): dnnl_acdeb
        default: fatalError("no oneDNN format for rank \(rank)")
        }
    }

    /// Describes `shape` in `layout`.
    static func of(_ shape: Shape, _ layout: Layout) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims(shape)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag(for: layout, rank: shape.rank)),
              "memory_desc_init \(shape)")
        return md
    }

    static func of(_ tensor: Tensor) -> dnnl_memory_desc_t { of(tensor.shape, tensor.layout) }

    /// A descriptor that lets the primitive choose the format (`format_tag any`).
    static func any(_ shape: Shape) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims(shape)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, dnnl_format_tag_any), "memory_desc_init any")
        return md
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// The logical shape a descriptor describes (for messages).
    static func shape(_ md: dnnl_memory_desc_t) -> Shape {
        var md = md
        let n = Int(md.ndims)
        return withUnsafeBytes(of: &md.dims) { Shape(Array($0.bindMemory(to: Int64.self).prefix(n)).map { Int($0) }) }
    }

    static func size(_ md: dnnl_memory_desc_t) -> Int {
        var md = md
        return dnnl_memory_desc_get_size(&md)
    }
}

extension Memory {
    /// Wraps a tensor's storage (read or write: oneDNN does not copy).
    convenience init(_ tensor: Tensor) {
        self.init(Descriptor.of(tensor), pointer: UnsafeMutableRawPointer(tensor.storage.pointer))
    }
}

/// Copies `source` into memory of descriptor `target` (a oneDNN reorder), or returns `source`
/// itself when the formats already agree.
func reordered(_ source: Memory, to target: dnnl_memory_desc_t) -> Memory {
    if Descriptor.equal(source.descriptor, target) { return source }
    let destination = Memory(allocating: target)
    reorder(source, into: destination)
    return destination
}

/// Runs `body` with memory of descriptor `format` to write into, then copies the result into
/// `destination` (a oneDNN reorder); `body` writes into `destination` itself when the formats
/// already agree. The output-side twin of `reordered(_:to:)`.
func writing(into destination: Memory, as format: dnnl_memory_desc_t, _ body: (Memory) -> Void) {
    if Descriptor.equal(destination.descriptor, format) { return body(destination) }
    let chosen = Memory(allocating: format)
    body(chosen)
    reorder(chosen, into: destination)
}

/// Copies between two memories of the same logical shape and any formats.
func reorder(_ source: Memory, into destination: Memory) {
    var pd: dnnl_primitive_desc_t?
    var s = source.descriptor, d = destination.descriptor
    check(dnnl_reorder_primitive_desc_create(&pd, &s, Engine.shared.engine, &d, Engine.shared.engine, nil), "reorder")
    let p = Primitive(descriptor: pd!)
    p.execute([(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
}
