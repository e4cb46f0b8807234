import PixelwiseCore

/// One training or evaluation image: the raw intensities and the class of every pixel.
///
/// `raw` holds normalised floats (by default in [−1, 1], see `RawNormalisation`), one or more
/// interleaved channels, `sampleType == .float32`. `labels[y * width + x]` is a class index
/// 0…n−1 or `LabelMap.ignore`.
public struct Sample: Sendable, Equatable {
    public var raw: Image
    public var labels: [Int32]
    public var name: String

    public var width: Int { raw.width }
    public var height: Int { raw.height }

    public init(raw: Image, labels: [Int32], name: String) {
        precondition(labels.count == raw.width * raw.height,
                     "Sample \(name): \(labels.count) labels for \(raw.width)×\(raw.height) pixels")
        self.raw = raw
        self.labels = labels
        self.name = name
    }
}

/// A collection of samples that may be read lazily.
public protocol SegmentationDataset: Sendable {
    var count: Int { get }
    func sample(_ index: Int) throws -> Sample
}

/// Samples held in memory: what training uses (patches are drawn from every image each step).
public struct InMemoryDataset: SegmentationDataset {
    public var samples: [Sample]
    public init(_ samples: [Sample]) { self.samples = samples }
    public var count: Int { samples.count }
    public func sample(_ index: Int) throws -> Sample { samples[index] }
}

/// How file intensities become network inputs.
public struct RawNormalisation: Sendable, Equatable {
    /// Which channels the network gets.
    public enum Channels: String, Sendable, Equatable, CaseIterable {
        /// One grey channel: the mean of R, G, B (alpha dropped).
        case grey
        /// Three channels: RGB kept, grey replicated (alpha dropped), so a colour data set with
        /// a few grey files still gives one channel count.
        case rgb
        /// The stored colour channels (1 or 3; alpha dropped).
        case asStored
    }

    /// Map x ∈ [0, max] to x / max · 2 − 1 ∈ [−1, 1], `max` = the sample type's maximum
    /// (255 for 8-bit, 65535 for 16-bit, 1 for float files). Otherwise x / max ∈ [0, 1].
    public var symmetric: Bool
    public var channels: Channels

    public init(symmetric: Bool = true, channels: Channels = .grey) {
        self.symmetric = symmetric
        self.channels = channels
    }

    /// The normalised image: `.float32`, interleaved channels as `channels` says.
    public func apply(to image: Image) -> Image {
        let scale = 1 / image.sampleType.maximum
        let colour = image.channels >= 3 ? 3 : 1          // grey+alpha → grey; RGBA → RGB
        let outChannels = switch channels {
        case .grey: 1
        case .rgb: 3
        case .asStored: colour
        }
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: n * outChannels)
        image.pixels.withUnsafeBufferPointer { src in
            for p in 0..<n {
                let base = p * image.channels
                if outChannels == 1 {
                    var s: Float = 0
                    for c in 0..<colour { s += src[base + c] }
                    out[p] = normalised(s / Float(colour) * scale)
                } else {
                    for c in 0..<outChannels { out[p * outChannels + c] = normalised(src[base + (colour == 1 ? 0 : c)] * scale) }
                }
            }
        }
        return Image(width: image.width, height: image.height, channels: outChannels, sampleType: .float32, pixels: out)
    }

    @inline(__always) private func normalised(_ unit: Float) -> Float { symmetric ? unit * 2 - 1 : unit }

    /// Builds a sample from a raw image and its label image, checking that their sizes agree.
    /// Errors name both files.
    public func sample(raw: Image, rawName: String, labels: Image, labelName: String, labelMap: LabelMap) throws -> Sample {
        guard raw.width == labels.width, raw.height == labels.height else {
            throw PixelwiseError.file(path: rawName, problem: "raw image is \(raw.width)×\(raw.height) but its label image \(labelName) is \(labels.width)×\(labels.height)")
        }
        let classes = try labelMap.apply(to: labels, name: labelName)
        return Sample(raw: apply(to: raw), labels: classes, name: rawName)
    }
}
