/// The few whole-tensor arithmetic helpers the graph and optimisers need. Results keep the
/// receiver's layout; the other operand is converted to it first.
extension Tensor {
    /// self += other
    public mutating func add(_ other: Tensor, scale: Float = 1) {
        precondition(shape == other.shape, "add: \(shape) and \(other.shape)")
        let o = other.inLayout(layout)
        withUnsafeMutableBufferPointer { a in
            o.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += scale * b[i] }
            }
        }
    }

    /// self *= s
    public mutating func scale(by s: Float) {
        withUnsafeMutableBufferPointer { a in for i in 0..<a.count { a[i] *= s } }
    }

    /// Sum of squares, in double precision.
    public var squaredNorm: Double {
        withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) * Double($1) } }
    }
}
