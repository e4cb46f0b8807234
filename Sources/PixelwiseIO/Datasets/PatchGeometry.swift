import PixelwiseCore

/// The sizes a network takes and gives: a valid-padding network labels an `output` region from
/// an `input` region that extends it by the context on each side,
/// contextX = (inputWidth − outputWidth) / 2 (Tschopp §1.3: v/2 pixels of mirrored border).
/// Same-padding networks have input == output and no context.
public struct PatchGeometry: Sendable, Equatable {
    public let inputWidth: Int, inputHeight: Int
    public let outputWidth: Int, outputHeight: Int

    /// Throws if the output is larger than the input or the difference is odd (the context
    /// must be the same on both sides).
    public init(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) throws {
        guard inputWidth > 0, inputHeight > 0, outputWidth > 0, outputHeight > 0 else {
            throw PixelwiseError.invalidArgument("patch sizes must be positive: input \(inputWidth)×\(inputHeight), output \(outputWidth)×\(outputHeight)")
        }
        guard inputWidth >= outputWidth, inputHeight >= outputHeight,
              (inputWidth - outputWidth) % 2 == 0, (inputHeight - outputHeight) % 2 == 0 else {
            throw PixelwiseError.invalidArgument("patch input \(inputWidth)×\(inputHeight) and output \(outputWidth)×\(outputHeight): the input must exceed the output by an even amount in each direction")
        }
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
    }

    /// Square patches: e.g. Tschopp's U-Net, `PatchGeometry(input: 572, output: 388)`.
    public init(input: Int, output: Int) throws {
        try self.init(inputWidth: input, inputHeight: input, outputWidth: output, outputHeight: output)
    }

    public var contextX: Int { (inputWidth - outputWidth) / 2 }
    public var contextY: Int { (inputHeight - outputHeight) / 2 }
    public var isSquare: Bool { inputWidth == inputHeight && outputWidth == outputHeight }
}
