import CPNGShim
#if canImport(Glibc)
import Glibc
#endif
import PixelwiseCore

/// PNG on libpng (via the setjmp-owning C shim `CPNGShim`).
///
/// Reads 1/2/4/8/16-bit grey, grey+alpha, RGB, RGBA and palette files; palette expands to RGB
/// (RGBA with a tRNS chunk) and low bit depths expand to 8 bits, so `sampleType` is `.uint8` or
/// `.uint16`. Samples are returned as stored: no gamma correction.
enum PNGCodec {
    static func read(path: String) throws -> Image {
        var raster = PWPNGRaster()
        var message = [CChar](repeating: 0, count: 256)
        guard pw_png_read(path, &raster, &message, message.count) == 0, let pixels = raster.pixels else {
            throw PixelwiseError.file(path: path, problem: "unreadable PNG: \(String(cBuffer: message))")
        }
        defer { pw_png_free(pixels) }
        let count = Int(raster.width) * Int(raster.height) * Int(raster.channels)
        let values: [Float]
        let type: SampleType
        if raster.bitDepth == 16 {
            let samples = UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt16.self), count: count)
            values = samples.map(Float.init)
            type = .uint16
        } else {
            let samples = UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt8.self), count: count)
            values = samples.map(Float.init)
            type = .uint8
        }
        return Image(width: Int(raster.width), height: Int(raster.height), channels: Int(raster.channels),
                     sampleType: type, pixels: values)
    }

    /// Writes 1–4 channels of `.uint8` or `.uint16` samples. Float images must be converted first
    /// (`converted(to:)`): PNG has no float samples, and guessing a scale would hide mistakes.
    static func write(_ image: Image, to temporaryPath: String, reportingAs path: String) throws {
        guard (1...4).contains(image.channels) else {
            throw PixelwiseError.file(path: path, problem: "PNG stores 1 to 4 channels, the image has \(image.channels)")
        }
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32
        errno = 0
        switch image.sampleType {
        case .uint8:
            let samples = image.uint8Samples()
            status = pw_png_write(temporaryPath, samples, Int32(image.width), Int32(image.height),
                                  Int32(image.channels), 8, &message, message.count)
        case .uint16:
            let samples = image.uint16Samples()
            status = pw_png_write(temporaryPath, samples, Int32(image.width), Int32(image.height),
                                  Int32(image.channels), 16, &message, message.count)
        case .float32:
            throw PixelwiseError.file(
                path: path, problem: "PNG cannot store float32 samples; convert with converted(to: .uint8 or .uint16) or write a .tif")
        }
        guard status == 0 else {
            throw PixelwiseError.file(path: path, problem: FileBytes.writeProblem("cannot write PNG: \(String(cBuffer: message))"))
        }
    }
}
