import Testing
@testable import PixelwiseNN

@Suite struct SmokeTests {
    @Test func magmaTransposedConvolution() throws {
        let up = try TransposedConvolution(inputChannels: 1, outputChannels: 1, kernelSize: 1, stride: 2, outputPadding: 1, bias: false)
        up.weight.value = Tensor(shape: [1, 1, 1, 1], scalars: [1])
        let y = try up.forward([Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])], mode: .inference)
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.scalars == [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0])
    }
}
