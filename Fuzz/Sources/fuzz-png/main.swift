import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The PNG reader, as `Image(contentsOf:)` calls it for a file whose first bytes say PNG.
FuzzInput.main(suffix: ".png") { path in
    let image = try PNGCodec.read(path: path)
    precondition(image.pixels.count == image.width * image.height * image.channels)
}
