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

/// How file intensities become network inputs: which channels (`channels`), then how each
/// channel's values are scaled (`intensity`). `Codable`, so a model file can keep it and
/// `segment` normalise exactly as training did.
public struct RawNormalisation: Sendable, Equatable, Codable {
    /// Which channels the network gets.
    public enum Channels: String, Sendable, Equatable, CaseIterable, Codable {
        /// One grey channel: the mean of R, G, B (alpha dropped).
        case grey
        /// Three channels: RGB kept, grey replicated (alpha dropped), so a colour data set with
        /// a few grey files still gives one channel count.
        case rgb
        /// The stored colour channels (1 or 3; alpha dropped).
        case asStored
        /// Every stored channel, alpha and extra samples included (a multi-sample TIFF's 5
        /// channels stay 5).
        case all

        /// The choice that keeps colour for a data set: `.rgb` if any image has colour (3 or
        /// more channels), `.grey` if all are grey (1 or 2 channels, grey + alpha).
        public static func keepingColour(storedChannels: [Int]) -> Channels {
            storedChannels.contains { $0 >= 3 } ? .rgb : .grey
        }
    }

    /// Used by `.typeRange` when `intensity` is empty: map x ∈ [0, max] to x / max · 2 − 1 ∈
    /// [−1, 1], `max` = the sample type's maximum (255 for 8-bit, 65535 for 16-bit, 1 for float
    /// files); otherwise x / max ∈ [0, 1].
    public var symmetric: Bool
    public var channels: Channels
    /// Per-channel intensity normalisation, applied after the channels are chosen: empty means
    /// `.typeRange(symmetric:)` for every channel; one entry applies to every channel; otherwise
    /// one entry per network input channel, in order.
    public var intensity: [IntensityNormalisation]

    public init(symmetric: Bool = true, channels: Channels = .grey, intensity: [IntensityNormalisation] = []) {
        self.symmetric = symmetric
        self.channels = channels
        self.intensity = intensity
    }

    private enum CodingKeys: String, CodingKey { case symmetric, channels, intensity }

    /// Missing keys take their defaults, so values stored before a field existed still decode.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(symmetric: try c.decodeIfPresent(Bool.self, forKey: .symmetric) ?? true,
                  channels: try c.decodeIfPresent(Channels.self, forKey: .channels) ?? .grey,
                  intensity: try c.decodeIfPresent([IntensityNormalisation].self, forKey: .intensity) ?? [])
    }

    /// Channels the network gets from an image with `stored` channels.
    public func outputChannels(stored: Int) -> Int {
        switch channels {
        case .grey: 1
        case .rgb: 3
        case .asStored: stored >= 3 ? 3 : 1
        case .all: stored
        }
    }

    /// The intensity normalisation of network input channel `channel`.
    public func intensity(forChannel channel: Int) -> IntensityNormalisation {
        switch intensity.count {
        case 0: .typeRange(symmetric: symmetric)
        case 1: intensity[0]
        default: intensity[channel]
        }
    }

    /// Throws `PixelwiseError.invalidArgument` in one line unless `intensity` fits `channels`
    /// network input channels (0, 1 or `channels` entries) and every entry is valid.
    public func validate(channels count: Int) throws {
        guard intensity.count <= 1 || intensity.count == count else {
            throw PixelwiseError.invalidArgument("\(intensity.count) per-channel normalisations for \(count) input channels (give one for all, or one per channel)")
        }
        for entry in intensity { try entry.validate() }
    }

    /// The normalised image: `.float32`, interleaved channels as `channels` says, each scaled
    /// as `intensity(forChannel:)` says. `intensity` must fit (see `validate(channels:)`).
    public func apply(to image: Image) -> Image {
        var out = selectChannels(image)
        normalise(&out, channelRange: 0..<out.channels, typeMaximum: image.sampleType.maximum)
        return out
    }

    /// Several co-registered sources (modalities, stains, a colour image and a depth map) as
    /// one network input: each source's channels are chosen as `channels` says and appended in
    /// order, then channel k is normalised by `intensity(forChannel: k)` with its own source's
    /// sample type. Throws `PixelwiseError.file` naming the source whose size differs from the
    /// first's, or `.invalidArgument` if `intensity` does not fit the channel count.
    public func apply(toSources sources: [Image], names: [String]) throws -> Image {
        precondition(!sources.isEmpty && sources.count == names.count, "RawNormalisation: one name per source")
        let first = sources[0]
        for (image, name) in zip(sources, names).dropFirst() where image.width != first.width || image.height != first.height {
            throw PixelwiseError.file(path: name, problem: "is \(image.width)×\(image.height) but \(names[0]) is \(first.width)×\(first.height): channel sources must be co-registered (same size)")
        }
        let selected = sources.map(selectChannels)
        let total = selected.reduce(0) { $0 + $1.channels }
        try validate(channels: total)
        let n = first.width * first.height
        var out = Image(width: first.width, height: first.height, channels: total, sampleType: .float32,
                        pixels: [Float](repeating: 0, count: n * total))
        var offset = 0
        for (part, source) in zip(selected, sources) {
            out.pixels.withUnsafeMutableBufferPointer { dst in
                part.pixels.withUnsafeBufferPointer { src in
                    for p in 0..<n { for c in 0..<part.channels { dst[p * total + offset + c] = src[p * part.channels + c] } }
                }
            }
            normalise(&out, channelRange: offset..<offset + part.channels, typeMaximum: source.sampleType.maximum)
            offset += part.channels
        }
        return out
    }

    /// Throws a one-line error unless an input of `channels` channels fits a model that takes
    /// `modelChannels` (named `name` in the error, e.g. the image file).
    public static func checkChannels(_ channels: Int, modelChannels: Int, name: String) throws {
        guard channels == modelChannels else {
            func described(_ c: Int) -> String { c == 1 ? "1 channel (grey)" : c == 3 ? "3 channels (RGB)" : "\(c) channels" }
            throw PixelwiseError.file(path: name, problem: "gives \(described(channels)) but the model takes \(described(modelChannels)); give the sources and channel choice the model was trained with")
        }
    }

    /// The chosen channels, values still in the file's range, `.float32`.
    private func selectChannels(_ image: Image) -> Image {
        let colour = image.channels >= 3 ? 3 : 1          // grey+alpha → grey; RGBA → RGB
        let outChannels = outputChannels(stored: image.channels)
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: n * outChannels)
        image.pixels.withUnsafeBufferPointer { src in
            for p in 0..<n {
                let base = p * image.channels
                if channels == .all {
                    for c in 0..<outChannels { out[p * outChannels + c] = src[base + c] }
                } else if outChannels == 1 {
                    var s: Float = 0
                    for c in 0..<colour { s += src[base + c] }
                    out[p] = s / Float(colour)
                } else {
                    for c in 0..<outChannels { out[p * outChannels + c] = src[base + (colour == 1 ? 0 : c)] }
                }
            }
        }
        return Image(width: image.width, height: image.height, channels: outChannels, sampleType: .float32, pixels: out)
    }

    private func normalise(_ image: inout Image, channelRange: Range<Int>, typeMaximum: Float) {
        let n = image.width * image.height
        for c in channelRange {
            intensity(forChannel: c).apply(&image.pixels, start: c, stride: image.channels, count: n, typeMaximum: typeMaximum)
        }
    }

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
