// TrainingConfiguration.swift (the CLI's file, symlinked here) sees the library as the CLI does.
@_exported import PixelwiseCore
