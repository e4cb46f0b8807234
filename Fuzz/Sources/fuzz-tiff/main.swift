import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The TIFF reader: a stack's page count, then every page in one pass, as `segment` reads a stack.
FuzzInput.main(suffix: ".tif") { path in
    let stack = try ImageStack(path: path)
    for image in try stack.readAll() {
        precondition(image.pixels.count == image.width * image.height * image.channels)
    }
}
