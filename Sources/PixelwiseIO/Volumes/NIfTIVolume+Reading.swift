import PixelwiseCore

/// A NIfTI file as a `VolumeReading`: x–y slices along z; a 4th axis (t: BraTS-style modalities,
/// a probability map's classes; any further axes too) gives the channels; spacing from
/// `pixdim[3], pixdim[2], pixdim[1]` (z, y, x). `read` seeks forward through the file once per
/// call, reading the box's rows of each slice it crosses, so memory is the box plus zlib's buffer.
extension NIfTIVolume: VolumeReading {
    public var name: String { path }

    public var geometry: VolumeGeometry {
        let spacing = header.spacing
        func pixdim(_ i: Int) -> Double { i < spacing.count && spacing[i] > 0 ? spacing[i] : 1 }
        return VolumeGeometry(channels: volumes, size: [depth, height, width], spacing: [pixdim(2), pixdim(1), pixdim(0)],
                              sampleType: sampleType)
    }

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside([depth, height, width]) else { throw VolumeBoxes.outside(box, of: self) }
        let (d, h, w) = (box.size[0], box.size[1], box.size[2])
        let (z0, y0, x0) = (box.origin[0], box.origin[1], box.origin[2])
        let size = header.dataType.size
        let reader = try GzipReader(path: path)
        var rows = [Float](repeating: 0, count: h * width)
        var out = [Float](repeating: 0, count: box.voxels * volumes)
        for t in 0..<volumes {
            for dz in 0..<d {
                // Slices in file order (t, then z): every seek goes forward.
                try reader.seek(to: header.voxelOffset + (((t * depth + z0 + dz) * height + y0) * width) * size)
                try rows.withUnsafeMutableBufferPointer { try readConverted(from: reader, into: $0) }
                let base = (t * d + dz) * h * w
                for y in 0..<h {
                    for x in 0..<w { out[base + y * w + x] = rows[y * width + x0 + x] }
                }
            }
        }
        return out
    }

    private func readConverted(from reader: GzipReader, into out: UnsafeMutableBufferPointer<Float>) throws {
        var bytes = [UInt8](repeating: 0, count: out.count * header.dataType.size)
        _ = try bytes.withUnsafeMutableBytes { try reader.read(into: $0.baseAddress!, count: $0.count) }
        NIfTICoding.decode(bytes, type: header.dataType, littleEndian: header.littleEndian,
                           slope: header.scaleSlope, intercept: header.scaleIntercept, into: out)
    }
}
