import PixelwiseCore

/// The learnable part that `Convolution` and `TransposedConvolution` share: a kernel tensor, an
/// optional per-output-channel bias, their checks and their initialisation. The two layers differ
/// only in how the kernel is applied (and in which of its first two axes is the input's).
struct ConvolutionParameters {
    let weight: Parameter
    let bias: Parameter?

    /// Checks the geometry (2-D or 3-D, positive sizes) and makes zero parameters; `weightShape`
    /// is the layer's own kernel layout.
    init(layer kind: String, inputChannels: Int, outputChannels: Int, kernelSize: [Int], stride: [Int], dilation: [Int],
         weightShape: [Int], bias: Bool) throws {
        let n = kernelSize.count
        guard n == 2 || n == 3, stride.count == n, dilation.count == n else {
            throw PixelwiseError.invalidArgument("\(kind): kernelSize, stride and dilation need 2 or 3 entries each")
        }
        guard inputChannels > 0, outputChannels > 0, (kernelSize + stride + dilation).allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("\(kind): channels, kernel size, stride and dilation must be positive")
        }
        weight = Parameter(Tensor(zeros: Shape(weightShape)))
        self.bias = bias ? Parameter(Tensor(zeros: [outputChannels])) : nil
    }

    var named: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Fresh weights from `initializer` with fan-in/out counted over the kernel's taps; zero bias.
    func reset(_ initializer: Initializer, inputChannels: Int, outputChannels: Int, kernelSize: [Int], using g: inout SeededGenerator) {
        let taps = kernelSize.reduce(1, *)
        weight.value = Tensor(shape: weight.shape, scalars: initializer.sample(
            count: weight.shape.count, fanIn: inputChannels * taps, fanOut: outputChannels * taps, using: &g))
        bias?.value = Tensor(zeros: [outputChannels])
    }
}
