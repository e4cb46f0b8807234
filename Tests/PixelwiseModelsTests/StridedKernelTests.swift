import Testing
@testable import PixelwiseModels
import PixelwiseCore

/// Algorithm 1: the SK network made from an SW network computes, in one pass over a
/// (w_SW + m − 1)² input, the SW network's output for each of the m × m windows.
@Suite struct StridedKernelTests {
    /// A small SW network, w_SW = 18: conv k3 → 16, pool → 8, conv k3 → 6, pool → 3, ip (k = 3), ip.
    static let sw = SlidingWindowNetwork(inputSize: 18, inputChannels: 2, layers: [
        .convolution("conv1", outputs: 4, kernel: 3), .relu("relu1"), .maxPooling("pool1", kernel: 2),
        .convolution("conv2", outputs: 5, kernel: 3), .relu("relu2"), .maxPooling("pool2", kernel: 2),
        .innerProduct("ip1", outputs: 6), .relu("relu3"),
        .innerProduct("ip2", outputs: 3),
    ], initializer: .he)

    @Test func conversionSetsKernelStrides() throws {
        let sk = try StridedKernelConversion.convert(Self.sw)
        #expect(sk.layers.map(\.kernelStride) == [1, 1, 1, 2, 1, 2, 4, 1, 1])  // element-wise layers keep d = 1
        #expect(sk.layers.map(\.kernelSize) == [3, 1, 2, 3, 1, 2, 3, 1, 1])
        #expect(sk.layers.map(\.kind) == [.convolution, .relu, .maxPooling, .convolution, .relu, .maxPooling, .convolution, .relu, .convolution])
        #expect(sk.layers.allSatisfy { $0.stride == 1 })
        #expect(sk.outputSize(forInput: 25) == 8)
    }

    @Test(arguments: [1, 7])
    func skEqualsSlidingWindowOnEveryWindow(m: Int) throws {
        let swGraph = try Self.sw.makeGraph(seed: 11)
        let skGraph = try StridedKernelConversion.convert(Self.sw).makeGraph(seed: 99)
        try transferParameters(from: swGraph, to: skGraph)
        let n = Self.sw.inputSize + m - 1, w = Self.sw.inputSize, c = Self.sw.inputChannels
        let image = Tensor.random([1, c, n, n], seed: 5)
        let sk = try skGraph.forward(image)
        #expect(sk.shape == [1, 3, m, m])

        // All m² windows as one batch through the SW network.
        let x = image.scalars
        var windows = [Float]()
        for i in 0..<m { for j in 0..<m { for ch in 0..<c { for y in 0..<w { for xx in 0..<w {
            windows.append(x[(ch * n + i + y) * n + j + xx])
        } } } } }
        let swOut = try swGraph.forward(Tensor(shape: [m * m, c, w, w], scalars: windows))
        #expect(swOut.shape == [m * m, 3, 1, 1])
        let s = swOut.scalars, k = sk.scalars
        var maxError: Float = 0, maxValue: Float = 0
        for i in 0..<m { for j in 0..<m { for o in 0..<3 {
            let expected = s[(i * m + j) * 3 + o], got = k[(o * m + i) * m + j]
            maxError = max(maxError, abs(expected - got))
            maxValue = max(maxValue, abs(expected))
        } } }
        #expect(maxError <= 1e-4)
        #expect(maxValue > 0.1)  // not a vacuous comparison of near-zero outputs
    }

    /// Changing one input pixel changes only the outputs whose window contains it.
    @Test func outputPixelsAreIndependentWindows() throws {
        let g = try StridedKernelConversion.convert(Self.sw).makeGraph(seed: 3)
        let n = 24, m = n - 18 + 1
        var raw = Tensor.random([1, 2, n, n], seed: 8).scalars
        let before = try g.forward(Tensor(shape: [1, 2, n, n], scalars: raw)).scalars
        raw[0 * n * n + 0 * n + 0] += 5  // pixel (0, 0): only in the window at (0, 0)
        let after = try g.forward(Tensor(shape: [1, 2, n, n], scalars: raw)).scalars
        for o in 0..<3 { for i in 0..<m { for j in 0..<m {
            let changed = abs(before[(o * m + i) * m + j] - after[(o * m + i) * m + j]) > 1e-6
            if i > 0 || j > 0 { #expect(!changed, "output (\(i), \(j)) saw a pixel outside its window") }
        } } }
    }

    static func conversionError(_ sw: SlidingWindowNetwork) -> String? {
        do {
            _ = try StridedKernelConversion.convert(sw)
            return nil
        } catch { return "\(error)" }
    }

    @Test func poolingInputNotDivisibleIsRejected() {
        // Table 3.1 as published: pool2 reads 43 maps.
        let e = Self.conversionError(.tschopp(corrected: false))
        #expect(e == "Algorithm 1: pool2 (maxPooling): pooling input w = 43 is not divisible by its kernel k = 2 (Eq. 3.3: make the layer before it output a multiple of k)")
        #expect(Self.conversionError(.tschopp(corrected: true)) == nil)
    }

    @Test func poolingStrideOtherThanKernelIsRejected() {
        var sw = Self.sw
        sw.layers[2] = .maxPooling("pool1", kernel: 2, stride: 1)
        #expect(Self.conversionError(sw)?.hasPrefix("Algorithm 1: pool1 (maxPooling): pooling stride s = 1 differs from its kernel k = 2") == true)
    }

    @Test func elementWiseLayerWithKernelIsRejected() {
        var sw = Self.sw
        sw.layers[1] = LayerSpec(name: "norm1", kind: .relu, kernelSize: 3)
        #expect(Self.conversionError(sw) == "Algorithm 1: norm1 (relu): element-wise layer with k = 3 > 1 cannot run on strided feature maps")
    }

    @Test func finalKernelStrideOtherThanOneIsRejected() {
        var sw = Self.sw
        sw.layers = Array(sw.layers.prefix(6))  // ends after pool2: d_temp = 4
        let e = Self.conversionError(sw)
        #expect(e?.hasPrefix("Algorithm 1: the last layer ends with kernel stride d = 4 ≠ 1 (set by pool2)") == true, "\(e ?? "no error")")
    }
}
