/// What a file stored per sample. Pixel values are kept as `Float` in the file's own range
/// (0…255 for `.uint8`, 0…65535 for `.uint16`, as stored for `.float32`), which is exact for
/// every integer sample type, so a read–write round trip returns the same file values.
public enum SampleType: String, Sendable, Equatable, CaseIterable {
    case uint8, uint16, float32

    /// The largest value of the type, used to normalise intensities (1 for float data).
    public var maximum: Float {
        switch self {
        case .uint8: 255
        case .uint16: 65535
        case .float32: 1
        }
    }
}

/// A 2-D raster with one or more interleaved channels: the unit every reader returns and every
/// writer takes. Pixel (x, y), channel c is at `pixels[(y * width + x) * channels + c]`.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var sampleType: SampleType
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int = 1, sampleType: SampleType = .uint8, pixels: [Float]) {
        precondition(pixels.count == width * height * channels,
                     "Image: \(pixels.count) pixels for \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.sampleType = sampleType
        self.pixels = pixels
    }

    /// A zero-filled image.
    public init(width: Int, height: Int, channels: Int = 1, sampleType: SampleType = .uint8) {
        self.init(width: width, height: height, channels: channels, sampleType: sampleType,
                  pixels: [Float](repeating: 0, count: width * height * channels))
    }

    public subscript(x: Int, y: Int, channel: Int = 0) -> Float {
        get { pixels[(y * width + x) * channels + channel] }
        set { pixels[(y * width + x) * channels + channel] = newValue }
    }
}
