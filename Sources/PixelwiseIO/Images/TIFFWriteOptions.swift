import PixelwiseCore

/// How `ImageStack.write(_:to:options:)` lays out a TIFF. The defaults (uncompressed strips,
/// little-endian) are what every reader handles.
public struct TIFFWriteOptions: Sendable, Equatable {
    /// Pixel data in horizontal strips (≈ 8 KB each, libtiff's default) or in square-ish tiles.
    public enum Layout: Sendable, Equatable {
        case strips
        /// Tile sides must be positive multiples of 16 (a TIFF rule).
        case tiles(width: Int, height: Int)
    }

    /// Lossless compressions; integer samples get the horizontal-difference predictor, float
    /// samples the floating-point predictor (little-endian files only: see `appendPage`).
    public enum Compression: Sendable, Equatable {
        case none, lzw, deflate
    }

    public enum ByteOrder: Sendable, Equatable {
        case littleEndian, bigEndian
    }

    public var layout: Layout
    public var compression: Compression
    public var byteOrder: ByteOrder
    /// ImageJ's calibration written into the file (nil: none).
    public var calibration: Calibration?

    /// A voxel size and the stack's page count, which ImageJ's description names.
    public struct Calibration: Sendable, Equatable {
        public var imageJ: ImageJCalibration
        public var pages: Int

        public init(_ imageJ: ImageJCalibration, pages: Int) {
            self.imageJ = imageJ
            self.pages = pages
        }
    }

    public init(layout: Layout = .strips, compression: Compression = .none, byteOrder: ByteOrder = .littleEndian) {
        self.layout = layout
        self.compression = compression
        self.byteOrder = byteOrder
    }
}
