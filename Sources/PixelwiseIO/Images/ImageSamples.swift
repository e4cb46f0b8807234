import PixelwiseCore

/// Conversions between the `Float` pixels an `Image` keeps and the integer or float samples a
/// file stores, plus the value range `inspect` reports.
extension Image {
    /// The pixels as bytes, rounded to nearest and clamped to 0…255 (NaN → 0).
    func uint8Samples() -> [UInt8] {
        pixels.map { $0.isNaN ? 0 : UInt8(Swift.min(Swift.max($0, 0), 255).rounded()) }
    }

    /// The pixels as 16-bit values, rounded to nearest and clamped to 0…65535 (NaN → 0).
    func uint16Samples() -> [UInt16] {
        pixels.map { $0.isNaN ? 0 : UInt16(Swift.min(Swift.max($0, 0), 65535).rounded()) }
    }

    /// The smallest and largest pixel value over all channels, ignoring NaN; nil if there are
    /// no (non-NaN) pixels.
    public var valueRange: (min: Float, max: Float)? {
        var low = Float.infinity, high = -Float.infinity
        for value in pixels where !value.isNaN {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        return low <= high ? (low, high) : nil
    }

    /// The same picture stored as `type`, rescaling between the types' ranges:
    /// uint8 ↔ uint16 by ×257 / ÷257 (0…255 ↔ 0…65535), integers → float32 by ÷ maximum (0…1),
    /// float32 → integers by clamping to 0…1 and × maximum. Results are rounded to the nearest
    /// integer for integer types.
    public func converted(to type: SampleType) -> Image {
        if type == sampleType { return self }
        let scale: Float, clampToUnit: Bool
        switch (sampleType, type) {
        case (.float32, _): (scale, clampToUnit) = (type.maximum, true)
        case (_, .float32): (scale, clampToUnit) = (1 / sampleType.maximum, false)
        default: (scale, clampToUnit) = (type.maximum / sampleType.maximum, false)
        }
        let integer = type != .float32
        let converted = pixels.map { value -> Float in
            let input = clampToUnit ? (value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)) : value
            return integer ? (input * scale).rounded() : input * scale
        }
        return Image(width: width, height: height, channels: channels, sampleType: type, pixels: converted)
    }

    /// Throws unless the stored fields agree with each other (they are `var`s and can be edited
    /// independently): writers call this before handing a buffer to C.
    func checkConsistent(writingTo path: String) throws {
        guard width > 0, height > 0, channels > 0 else {
            throw PixelwiseError.file(path: path, problem: "cannot write an empty image (\(width)×\(height)×\(channels))")
        }
        guard pixels.count == width * height * channels else {
            throw PixelwiseError.file(
                path: path, problem: "image has \(pixels.count) pixel values, expected \(width)×\(height)×\(channels) = \(width * height * channels)")
        }
    }
}
