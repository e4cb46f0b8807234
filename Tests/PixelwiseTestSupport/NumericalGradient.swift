/// Central-difference gradients, the ground truth every backward pass is checked against.
///
/// The scalar loss is L = Σ_i r_i · y_i with fixed random r, so dL/dy = r and a layer's backward
/// called with r must return dL/dx. `numericalGradient` computes ∂L/∂x_j ≈ (L(x + ε e_j) −
/// L(x − ε e_j)) / 2ε for a sample of j. Through a double-precision reference, ε = 1e-4 leaves a
/// truncation error of order ε² and a rounding error of order 1e-16/ε, both far below the tolerances.

/// L = Σ r·y in double precision.
public func dot(_ r: [Double], _ y: [Double]) -> Double {
    precondition(r.count == y.count)
    var s = 0.0
    for i in 0..<r.count { s += r[i] * y[i] }
    return s
}

public func dot(_ r: [Float], _ y: [Float]) -> Double { dot(r.doubles, y.doubles) }

/// ∂loss/∂x_j at each index j in `indices`, by central differences of step `epsilon`.
public func numericalGradient(of loss: ([Double]) -> Double, at x: [Double], indices: [Int], epsilon: Double = 1e-4) -> [Double] {
    var x = x
    return indices.map { j in
        let saved = x[j]
        x[j] = saved + epsilon
        let plus = loss(x)
        x[j] = saved - epsilon
        let minus = loss(x)
        x[j] = saved
        return (plus - minus) / (2 * epsilon)
    }
}

/// Expects the analytic gradient (from a backward pass) to match the numerical one at `indices`.
public func expectGradient(_ analytic: [Float], numerical: [Double], at indices: [Int], tolerance: Float = 1e-3, _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(indices.map { analytic[$0] }, numerical, tolerance: tolerance, what, sourceLocation: sourceLocation)
}

import Testing
