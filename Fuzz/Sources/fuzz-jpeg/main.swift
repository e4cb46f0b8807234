import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The JPEG reader, as `Image(contentsOf:)` calls it for a file whose first bytes say JPEG.
FuzzInput.main(suffix: ".jpeg") { path in
    let image = try JPEGCodec.read(path: path)
    precondition(image.pixels.count == image.width * image.height * image.channels)
}
