import PixelwiseCore

/// Data-movement kernels over channels-last memory of any element size (fp32 or bf16): moving
/// whole channel vectors with `memcpy` is all that up-sampling and merging need. The layers'
/// forward passes (`Upsampling` nearest, `MergeCrop`) and the inference steps run these same kernels.
public enum CopyKernels {
    /// Nearest-neighbour up-sampling of a tensor by integer factors (H, W) or (D, H, W); channels-last result.
    public static func upsampleNearest(_ x: Tensor, factor: [Int]) -> Tensor {
        let x = x.inLayout(.channelsLast)
        let y = Tensor(uninitialized: Shape([x.shape[0], x.shape[1]] + zip(x.shape.spatial, factor).map { $0 * $1 }), layout: .channelsLast)
        upsampleNearest(from: UnsafeMutableRawPointer(x.storage.pointer), shape: x.shape, factor: factor,
                        into: UnsafeMutableRawPointer(y.storage.pointer), elementBytes: 4)
        return y
    }

    /// concat_C(a, centre-crop(b)) of two tensors, b centre-cropped to a's spatial size; channels-last result.
    public static func mergeCrop(_ a: Tensor, _ b: Tensor) -> Tensor {
        let a = a.inLayout(.channelsLast), b = b.inLayout(.channelsLast)
        var outShape = a.shape
        outShape[1] += b.shape[1]
        let y = Tensor(uninitialized: outShape, layout: .channelsLast)
        mergeCrop(UnsafeMutableRawPointer(a.storage.pointer), a.shape, UnsafeMutableRawPointer(b.storage.pointer), b.shape,
                  into: UnsafeMutableRawPointer(y.storage.pointer), elementBytes: 4)
        return y
    }

    /// y[n, z, y, x, :] = x[n, z / f_D, y / f_H, x / f_W, :]. Each input row becomes one output
    /// row (every pixel repeated f_W times), which is then copied f_D·f_H − 1 times.
    static func upsampleNearest(from src: UnsafeMutableRawPointer, shape: Shape, factor: [Int], into dst: UnsafeMutableRawPointer,
                                elementBytes: Int) {
        let e = Extent(shape)
        let f = factor.count == 3 ? factor : [1] + factor
        let pixelBytes = e.c * elementBytes
        let od = e.d * f[0], oh = e.h * f[1], ow = e.w * f[2]
        let rowBytes = ow * pixelBytes
        let source = UncheckedPointer(src), destination = UncheckedPointer(dst)
        parallelFor(e.n * e.d * e.h) { row in
            let n = row / (e.d * e.h), z = (row / e.h) % e.d, y = row % e.h
            let s = source.raw + row * e.w * pixelBytes
            func outRow(_ kz: Int, _ ky: Int) -> UnsafeMutableRawPointer {
                destination.raw + ((n * od + z * f[0] + kz) * oh + y * f[1] + ky) * rowBytes
            }
            let first = outRow(0, 0)
            for x in 0..<e.w {
                for k in 0..<f[2] { (first + (x * f[2] + k) * pixelBytes).copyMemory(from: s + x * pixelBytes, byteCount: pixelBytes) }
            }
            for kz in 0..<f[0] { for ky in 0..<f[1] where kz != 0 || ky != 0 { outRow(kz, ky).copyMemory(from: first, byteCount: rowBytes) } }
        }
    }

    /// y = concat_C(a, crop(b)), b centre-cropped to a's spatial size.
    static func mergeCrop(_ a: UnsafeMutableRawPointer, _ aShape: Shape, _ b: UnsafeMutableRawPointer, _ bShape: Shape,
                          into dst: UnsafeMutableRawPointer, elementBytes: Int) {
        let ea = Extent(aShape), eb = Extent(bShape)
        let oz = (eb.d - ea.d) / 2, oy = (eb.h - ea.h) / 2, ox = (eb.w - ea.w) / 2
        let aBytes = ea.c * elementBytes, bBytes = eb.c * elementBytes, outBytes = aBytes + bBytes
        let pa = UncheckedPointer(a), pb = UncheckedPointer(b), out = UncheckedPointer(dst)
        parallelFor(ea.n * ea.d * ea.h) { row in
            let n = row / (ea.d * ea.h), z = (row / ea.h) % ea.d, y = row % ea.h
            let o = out.raw + row * ea.w * outBytes
            let sa = pa.raw + row * ea.w * aBytes
            let sb = pb.raw + (((n * eb.d + z + oz) * eb.h + y + oy) * eb.w + ox) * bBytes
            for x in 0..<ea.w {
                (o + x * outBytes).copyMemory(from: sa + x * aBytes, byteCount: aBytes)
                (o + x * outBytes + aBytes).copyMemory(from: sb + x * bBytes, byteCount: bBytes)
            }
        }
    }
}

/// A raw pointer handed to `parallelFor` workers that write disjoint ranges.
struct UncheckedPointer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }
}
