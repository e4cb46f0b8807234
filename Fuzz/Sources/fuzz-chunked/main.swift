import Foundation
import FuzzSupport
import PixelwiseCore
@testable import PixelwiseIO

/// The chunked-store readers (zarr v2/v3, N5): the input's first byte picks what the rest is —
/// an array's metadata (`.zarray`, `zarr.json`, `attributes.json`) or one chunk of a fixed array
/// in each codec, order and format — and the store is opened and read as `FILE.zarr/PATH`
/// inputs are. The store is a folder at the input's own path, so errors name it.
FuzzInput.main(suffix: ".store") { path in
    try ChunkedFuzzing.read(path)
}
