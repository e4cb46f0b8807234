@_exported import PixelwiseCore
@_exported import PixelwiseKernels
