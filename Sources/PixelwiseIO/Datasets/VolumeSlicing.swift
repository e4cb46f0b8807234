import PixelwiseCore

/// The axis a 2-D network cuts a volume along: z (the stored slices, axial for a NIfTI scan in
/// its usual orientation; the default), y or x.
public enum SliceAxis: String, CaseIterable, Sendable, Codable {
    case z, y, x
}

/// Re-cuts a volume given as its stored (z) pages into slices along another axis, and back.
///
/// Along z the pages are the slices. Along y, slice k (y = k) is a W × D image whose pixel
/// (x, z) is page z's pixel (x, k); along x, slice k (x = k) is an H × D image whose pixel (y, z)
/// is page z's pixel (k, y). Channels stay interleaved. The whole volume is in memory, as the
/// pages are.
public enum VolumeSlicing {
    /// Slices of `pages` (all W × H with the same channels) along `axis`.
    public static func slices(_ pages: [Image], along axis: SliceAxis) -> [Image] {
        guard axis != .z, let first = pages.first else { return pages }
        let (w, h, d, c) = (first.width, first.height, pages.count, first.channels)
        precondition(pages.allSatisfy { $0.width == w && $0.height == h && $0.channels == c }, "VolumeSlicing: pages of different sizes")
        let type = pages.allSatisfy { $0.sampleType == first.sampleType } ? first.sampleType : .float32
        let (count, width) = axis == .y ? (h, w) : (w, h)
        return (0..<count).map { k in
            var pixels = [Float](repeating: 0, count: width * d * c)
            for z in 0..<d {
                let page = pages[z].pixels
                for i in 0..<width {
                    let source = (axis == .y ? k * w + i : i * w + k) * c
                    let target = (z * width + i) * c
                    for ch in 0..<c { pixels[target + ch] = page[source + ch] }
                }
            }
            return Image(width: width, height: d, channels: c, sampleType: type, pixels: pixels)
        }
    }

    /// The stored (z) pages back from slices along `axis` (the inverse of `slices(_:along:)`).
    public static func pages(fromSlices slices: [Image], along axis: SliceAxis) -> [Image] {
        guard axis != .z, let first = slices.first else { return slices }
        let (width, d, c, count) = (first.width, first.height, first.channels, slices.count)
        let (w, h) = axis == .y ? (width, count) : (count, width)
        return (0..<d).map { z in
            var pixels = [Float](repeating: 0, count: w * h * c)
            for k in 0..<count {
                let slice = slices[k].pixels
                for i in 0..<width {
                    let target = (axis == .y ? k * w + i : i * w + k) * c
                    let source = (z * width + i) * c
                    for ch in 0..<c { pixels[target + ch] = slice[source + ch] }
                }
            }
            return Image(width: w, height: h, channels: c, sampleType: first.sampleType, pixels: pixels)
        }
    }

    /// Training samples re-cut along `axis`: consecutive samples named `VOLUME[k]` (the pages of
    /// one stack or volume, as the data sets name them) become the slices of that volume along
    /// `axis`, named `VOLUME[y=k]` / `VOLUME[x=k]`. Raw values are re-cut as the loader normalised
    /// them (per stored slice), which is what `Segmenter` does with the same axis. Throws naming
    /// a sample that is a single image, not a page of a volume.
    public static func resliced(_ samples: [Sample], along axis: SliceAxis) throws -> [Sample] {
        guard axis != .z else { return samples }
        var out = [Sample](), start = 0
        while start < samples.count {
            guard let volume = volumeName(samples[start].name) else {
                throw PixelwiseError.file(path: samples[start].name, problem: "is an image, not a slice of a volume; --slice-axis \(axis.rawValue) needs volumes (TIFF stacks, HDF5, NIfTI)")
            }
            var end = start + 1
            while end < samples.count, volumeName(samples[end].name) == volume { end += 1 }
            let group = Array(samples[start..<end])
            let raw = slices(group.map(\.raw), along: axis)
            let labelPages = group.map { Image(width: $0.width, height: $0.height, channels: 1, sampleType: .float32, pixels: $0.labels.map(Float.init)) }
            let labels = slices(labelPages, along: axis)
            for k in raw.indices {
                out.append(Sample(raw: raw[k], labels: labels[k].pixels.map { Int32($0) }, name: "\(volume)[\(axis.rawValue)=\(k)]"))
            }
            start = end
        }
        return out
    }

    /// "path" of a sample named "path[12]"; nil for a plain image.
    static func volumeName(_ name: String) -> String? {
        guard name.hasSuffix("]"), let open = name.lastIndex(of: "["),
              Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) != nil else { return nil }
        return String(name[..<open])
    }
}
