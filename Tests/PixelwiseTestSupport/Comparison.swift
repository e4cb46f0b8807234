import Testing

/// Largest |a − b| relative to the magnitude of the expected values: max|a − b| / max(max|b|, floor).
/// The floor keeps an all-zero expectation from turning every rounding error into a failure.
public func relativeMaxError(_ a: [Float], _ b: [Float], floor: Float = 1e-6) -> Float {
    precondition(a.count == b.count, "compare \(a.count) values with \(b.count)")
    var err: Float = 0, scale: Float = floor
    for i in 0..<a.count {
        err = max(err, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return a.isEmpty ? 0 : err / scale
}

/// Expects `actual` to match `expected` element for element, to `tolerance` relative to the
/// largest expected magnitude. Reports the first bad element on failure.
public func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let error = relativeMaxError(actual, expected)
    if error > tolerance {
        let scale = max(expected.map(abs).max() ?? 0, 1e-6)
        let bad = actual.indices.first { abs(actual[$0] - expected[$0]) > tolerance * scale } ?? 0
        Issue.record("\(what): relative error \(error) > \(tolerance); first at [\(bad)]: \(actual[bad]) vs \(expected[bad])",
                     sourceLocation: sourceLocation)
    }
}

/// The same against a double-precision reference.
public func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Float = 1e-4, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual, expected.map { Float($0) }, tolerance: tolerance, what, sourceLocation: sourceLocation)
}
