// Every CLI file sees the whole library.
@_exported import PixelwiseAlgorithms
@_exported import PixelwiseIO
@_exported import PixelwiseModels
@_exported import PixelwiseDistributed
