import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct UpsamplingTests {
    static let shapes: [[Int]] = [[2, 3, 4, 5], [1, 17, 3, 7], [2, 5, 1, 6], [1, 3, 3, 4, 2]]

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func nearest(_ shape: [Int], layout: Layout) throws {
        try check(shape, .nearest, layout)
    }

    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func bilinear(_ shape: [Int], layout: Layout) throws {
        try check(shape, .bilinear, layout)
    }

    func check(_ shape: [Int], _ method: Upsampling.Method, _ layout: Layout) throws {
        let factor = Array(repeating: 2, count: shape.count - 2)
        let layer = try Upsampling(Upsampling.Configuration(factor: factor, method: method))
        var data = TestData(seed: 61)
        let check = LayerCheck(inputs: [(shape, data.uniform(shape.reduce(1, *)))], layout: layout, seed: 62)
        let y = try check.run(layer, "upsample \(method) \(shape) \(layout)") { ins, _ in
            UpsamplingReference.forward(ins[0], shape: shape, factor: factor, method: method == .nearest ? .nearest : .linear).values
        }
        #expect(y.shape.spatial == shape.dropFirst(2).map { $0 * 2 })
    }

    /// PyTorch: `F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode="bilinear", align_corners=False)`.
    @Test func bilinearMatchesPyTorch() throws {
        let layer = try Upsampling(method: .bilinear)
        let y = try layer.forward([tensor([1, 1, 2, 2], [1, 2, 3, 4])], mode: .inference)
        expectClose(y.scalars, [1.00, 1.25, 1.75, 2.00,
                                1.50, 1.75, 2.25, 2.50,
                                2.50, 2.75, 3.25, 3.50,
                                3.00, 3.25, 3.75, 4.00], tolerance: 1e-6)
        let nearest = try Upsampling(method: .nearest).forward([tensor([1, 1, 2, 2], [1, 2, 3, 4])], mode: .inference)
        #expect(nearest.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }
}
