import Foundation
import Testing
@testable import PixelwiseNN
import PixelwiseCore

/// Central differences of the loss value, element by element of the row-major output.
func numericalGradient(_ loss: inout some Loss, at x: Tensor, _ target: Target, h: Float = 1e-2) throws -> [Float] {
    var values = x.scalars
    var g = [Float](repeating: 0, count: values.count)
    for i in values.indices {
        let v = values[i]
        values[i] = v + h
        let up = try loss.evaluate(Tensor(shape: x.shape, scalars: values), target).value
        values[i] = v - h
        let down = try loss.evaluate(Tensor(shape: x.shape, scalars: values), target).value
        values[i] = v
        g[i] = (up - down) / (2 * h)
    }
    return g
}

/// Expects the analytic gradient of `loss` at `x` to match central differences.
func expectGradientMatchesFiniteDifferences(_ loss: some Loss, at x: Tensor, _ target: Target,
                                            tolerance: Float = 2e-3, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var l = loss
    let analytic = try l.evaluate(x, target).gradient
    #expect(analytic.shape == x.shape, sourceLocation: sourceLocation)
    let a = analytic.scalars
    let numeric = try numericalGradient(&l, at: x, target)
    let scale = max(numeric.map(abs).max() ?? 0, 1e-3)
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - numeric[i])) }
    #expect(worst <= tolerance * scale + 1e-5, "max |analytic − numeric| = \(worst), gradient scale \(scale)", sourceLocation: sourceLocation)
    // A wrong gradient that happens to be tiny would pass the test above; make sure there is signal.
    #expect(scale > 1e-3, sourceLocation: sourceLocation)
}

/// Random labels in 0..<classes, reproducible.
func randomLabels(_ count: Int, classes: Int, seed: UInt64) -> [Int32] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Int32(g.next() % UInt64(classes)) }
}

func isClose(_ a: Float, _ b: Double, relative: Double = 1e-5) -> Bool {
    abs(Double(a) - b) <= relative * max(1, abs(b))
}

func isClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

/// Row-major logits value at (n, c, pixel).
func logit(_ x: [Float], _ shape: Shape, n: Int, c: Int, pixel: Int) -> Double {
    let hw = shape.count / (shape[0] * shape[1])
    return Double(x[(n * shape[1] + c) * hw + pixel])
}

/// Softmax probabilities of one pixel (reference, Double).
func softmaxReference(_ x: [Float], _ shape: Shape, n: Int, pixel: Int) -> [Double] {
    let e = (0..<shape[1]).map { exp(logit(x, shape, n: n, c: $0, pixel: pixel)) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
