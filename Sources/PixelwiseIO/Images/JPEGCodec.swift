import CJPEGShim
#if canImport(Glibc)
import Glibc
#endif
import PixelwiseCore

/// JPEG on libjpeg-turbo (via the setjmp-owning C shim `CJPEGShim`): 8-bit grey or RGB.
/// CMYK files are converted to RGB on reading. Writing uses quality 95, libjpeg's default 4:2:0
/// chroma subsampling, and is lossy: a round trip changes values by a few grey levels.
enum JPEGCodec {
    static let quality: Int32 = 95

    static func read(path: String) throws -> Image {
        var raster = PWJPEGRaster()
        var message = [CChar](repeating: 0, count: 256)
        guard pw_jpeg_read(path, &raster, &message, message.count) == 0, let pixels = raster.pixels else {
            throw PixelwiseError.file(path: path, problem: "unreadable JPEG: \(String(cBuffer: message))")
        }
        defer { pw_jpeg_free(pixels) }
        let count = Int(raster.width) * Int(raster.height) * Int(raster.channels)
        return Image(width: Int(raster.width), height: Int(raster.height), channels: Int(raster.channels),
                     sampleType: .uint8, pixels: UnsafeBufferPointer(start: pixels, count: count).map(Float.init))
    }

    static func write(_ image: Image, to temporaryPath: String, reportingAs path: String) throws {
        guard image.channels == 1 || image.channels == 3 else {
            throw PixelwiseError.file(path: path, problem: "JPEG stores grey or RGB (1 or 3 channels), the image has \(image.channels)")
        }
        guard image.sampleType == .uint8 else {
            throw PixelwiseError.file(
                path: path, problem: "JPEG stores 8-bit samples, the image is \(image.sampleType.rawValue); convert with converted(to: .uint8)")
        }
        guard image.width <= 65500, image.height <= 65500 else {
            throw PixelwiseError.file(path: path, problem: "JPEG images are at most 65500×65500, the image is \(image.width)×\(image.height)")
        }
        var message = [CChar](repeating: 0, count: 256)
        errno = 0
        let status = pw_jpeg_write(temporaryPath, image.uint8Samples(), Int32(image.width), Int32(image.height),
                                   Int32(image.channels), quality, &message, message.count)
        guard status == 0 else {
            throw PixelwiseError.file(path: path, problem: FileBytes.writeProblem("cannot write JPEG: \(String(cBuffer: message))"))
        }
    }
}
