@_exported import PixelwiseCore
