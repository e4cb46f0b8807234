import PixelwiseCore
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN
import PixelwiseTestSupport
import Testing

/// Every algorithm the chooser may pick, on every distinct 2-D convolution of the model zoo (its
/// channels, kernel and padding; a small spatial extent, since the rounding error of a transform
/// does not grow with the image), in every pass, against the double-precision reference: within
/// `AlgorithmChooser.tolerance` of the reference output's range. F(6×6, 3×3) is checked where it
/// can be picked, so if it fails a zoo layer here, the chooser's own check would reject it too.
@Suite struct ZooAlgorithmAccuracyTests {
    /// The zoo's distinct convolution passes with more than one candidate, shrunk to a few tiles.
    static func problems() throws -> [ConvolutionProblem] {
        var seen = Set<String>(), found: [ConvolutionProblem] = []
        let options = ExecutionOptions(algorithms: .fastest)
        for preset in ModelZoo.presets {
            let graph = try preset.makeGraph()
            let rank = graph.spatialRank
            let input = Shape([1, graph.inputChannels] + Array(repeating: preset.exampleInputSize, count: rank))
            for var p in try graph.trainingConvolutionProblems(inputShape: input) {
                let key = "\(p.pass) \(p.transposed) \(p.weight.dims) \(p.geometry)"
                // The forward pass also as a plan step (plans have F(6×6) and keep the weights transformed).
                for stage in p.pass == .forward ? [ConvolutionProblem.Stage.training, .plan] : [.training] {
                    p.stage = stage
                    guard AlgorithmChooser.candidates(for: p, options: options).count > 1, seen.insert(key + "\(stage)").inserted else { continue }
                    // The reference is plain loops: 3-D layers up to 64 × 128 channels (narrow ones, which run
                    // as a per-thread pipeline, and wide ones, which do not), 4³ voxels.
                    if rank == 3 && p.weight[0] * p.weight[1] > 64 * 128 { continue }
                    var small = p
                    let side = rank == 3 ? 4 : (p.weight[0] * p.weight[1] > 256 * 256 ? 6 : 9)
                    let channels = p.pass == .backwardData ? p.weight[p.transposed ? 1 : 0] : p.weight[p.transposed ? 0 : 1]
                    small.input = Shape([1, channels] + Array(repeating: side, count: rank))
                    found.append(small)
                }
            }
        }
        return found
    }

    /// The reference result of the pass the trial runs (row-major, double).
    static func reference(_ p: ConvolutionProblem) -> [Double] {
        let (input, weight, bias, dy) = AlgorithmTrial.operands(p)
        let x = input.scalars.map(Double.init), w = weight.scalars.map(Double.init), b = bias.scalars.map(Double.init)
        let g = p.geometry
        if p.transposed {
            return TransposedConvolutionReference.forward(x, shape: p.input.dims, weight: w, weightShape: p.weight.dims, bias: b,
                                                          stride: g.stride, dilation: g.dilation, padding: g.paddingLow,
                                                          outputPadding: g.stride.map { _ in 0 }).values
        }
        switch p.pass {
        case .forward:
            return ConvolutionReference.forward(x, shape: p.input.dims, weight: w, weightShape: p.weight.dims, bias: b, stride: g.stride,
                                                dilation: g.dilation, paddingLow: g.paddingLow, paddingHigh: g.paddingHigh).values
        case .backwardData:
            // Stride 1: dL/dx is dL/dy convolved with the kernel turned by 180° (in and out swapped), padded by k − 1 − p.
            let (cout, cin) = (p.weight[0], p.weight[1])
            let kernel = p.weight.spatial, taps = kernel.reduce(1, *)
            var turned = [Double](repeating: 0, count: w.count)
            for o in 0..<cout { for i in 0..<cin { for k in 0..<taps { turned[(i * cout + o) * taps + taps - 1 - k] = w[(o * cin + i) * taps + k] } } }
            return ConvolutionReference.forward(x, shape: p.input.dims, weight: turned, weightShape: [cin, cout] + kernel, bias: nil,
                                                stride: kernel.map { _ in 1 }, dilation: kernel.map { _ in 1 },
                                                paddingLow: zip(kernel, g.paddingHigh).map { $0 - 1 - $1 },
                                                paddingHigh: zip(kernel, g.paddingLow).map { $0 - 1 - $1 }).values
        case .backwardWeights:
            let d = dy!
            return ConvolutionReference.weightGradient(d.scalars.map(Double.init), outputShape: d.shape.dims, input: x, shape: p.input.dims,
                                                       weightShape: p.weight.dims, stride: g.stride, dilation: g.dilation,
                                                       paddingLow: g.paddingLow).weight
        }
    }

    @Test func everyCandidateStaysWithinTheToleranceOnTheZoosLayers() throws {
        let problems = try Self.problems()
        #expect(problems.count >= 10, "the zoo has many wide 3×3 layers")
        var checked: Set<AlgorithmChooser.Algorithm> = []
        for p in problems {
            let expected = Self.reference(p)
            let range = expected.max()! - expected.min()!
            for candidate in AlgorithmChooser.candidates(for: p, options: ExecutionOptions(algorithms: .fastest)) {
                let out = try AlgorithmTrial.make(p, candidate).output
                #expect(out.count == expected.count)
                let worst = zip(out, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst <= Double(AlgorithmChooser.tolerance) * range, "\(candidate) on \(p): \(worst) of range \(range)")
                checked.insert(candidate)
            }
        }
        #expect(checked == Set(AlgorithmChooser.Algorithm.allCases), "every algorithm met at least once: \(checked)")
    }
}
