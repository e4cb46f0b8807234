import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore

/// Checks one layer against a double-precision reference: the forward output, then the input and
/// parameter gradients of L = Σ r·y (backward called with r) against central differences of the
/// same L through the reference.
///
/// `reference(inputs, parameters)` gets row-major doubles in the order of `inputs` and
/// `parameters` and returns the row-major output.
struct LayerCheck {
    var inputs: [(shape: [Int], values: [Float])]
    var parameters: [Parameter] = []
    var layout: Layout = .rowMajor
    var mode: Mode = .training
    var forwardTolerance: Float = 1e-4
    var gradientTolerance: Float = 1e-3
    /// How many elements of each input and parameter get a numerical derivative.
    var samples = 24
    var epsilon = 1e-4
    var seed: UInt64 = 1

    @discardableResult
    func run(_ layer: any Layer, _ what: String, reference: ([[Double]], [[Double]]) -> [Double],
             sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
        var data = TestData(seed: seed)
        let xs = inputs.map { tensor($0.shape, $0.values, layout) }
        let ins = inputs.map { $0.values.doubles }
        let ps = parameters.map { $0.value.scalars.doubles }

        let y = try layer.forward(xs, mode: mode)
        let expected = reference(ins, ps)
        #expect(y.shape.dims == (try layer.outputShape(for: xs.map(\.shape))).dims, "\(what): shape", sourceLocation: sourceLocation)
        expectClose(y.scalars, expected, tolerance: forwardTolerance, "\(what): forward", sourceLocation: sourceLocation)
        guard mode == .training else { return y }

        let r = data.uniform(y.count)
        for p in parameters { p.zeroGradient() }
        let grads = try layer.backward(tensor(y.shape.dims, r, y.layout), inputs: xs, output: y,
                                       needsInputGradient: xs.map { _ in true })
        let rd = r.doubles
        for (k, input) in ins.enumerated() {
            guard let g = grads[k] else {
                Issue.record("\(what): no gradient for input \(k)", sourceLocation: sourceLocation)
                continue
            }
            #expect(g.shape == xs[k].shape, sourceLocation: sourceLocation)
            let idx = data.sample(samples, of: input.count)
            let numerical = numericalGradient(of: { v in
                var all = ins
                all[k] = v
                return dot(rd, reference(all, ps))
            }, at: input, indices: idx, epsilon: epsilon)
            expectGradient(g.scalars, numerical: numerical, at: idx, tolerance: gradientTolerance, "\(what): dL/dinput\(k)",
                           sourceLocation: sourceLocation)
        }
        for (k, p) in parameters.enumerated() {
            guard let g = p.gradient else {
                Issue.record("\(what): no gradient for parameter \(k)", sourceLocation: sourceLocation)
                continue
            }
            let idx = data.sample(samples, of: ps[k].count)
            let numerical = numericalGradient(of: { v in
                var all = ps
                all[k] = v
                return dot(rd, reference(ins, all))
            }, at: ps[k], indices: idx, epsilon: epsilon)
            expectGradient(g.scalars, numerical: numerical, at: idx, tolerance: gradientTolerance, "\(what): dL/dparameter\(k)",
                           sourceLocation: sourceLocation)
        }
        return y
    }
}
