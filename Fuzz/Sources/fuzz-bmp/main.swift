import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The BMP reader, as `Image(contentsOf:)` calls it for a file whose first bytes say BMP.
FuzzInput.main(suffix: ".bmp") { path in
    let image = try BMPCodec.read(path: path)
    precondition(image.pixels.count == image.width * image.height * image.channels)
}
