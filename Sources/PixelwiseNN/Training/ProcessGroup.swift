/// The processes of a data-parallel training run (one per `mpirun` rank, say).
///
/// Each process trains the same network on its own share of every batch; after the backward pass
/// the trainer replaces every gradient by its mean over the processes, so all of them take the
/// same optimiser step and their weights stay equal, as if one process had trained on the whole
/// batch. One requirement is enough for that: an element-wise sum over the processes. Every
/// process must make the same calls in the same order (a collective operation), or they wait
/// for each other forever.
public protocol ProcessGroup: AnyObject {
    /// This process's number, 0..<size; process 0 writes the run's files.
    var rank: Int { get }
    /// How many processes train together.
    var size: Int { get }
    /// Replaces `values`, in every process, by their element-wise sum over all processes.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
}

extension ProcessGroup {
    /// Sums a few numbers over the processes.
    public func sum(_ values: [Float]) throws -> [Float] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try sum($0) }
        return v
    }

    /// Replaces each parameter's gradient by its mean over the processes, in one exchange.
    /// A parameter without a gradient counts as zeros (every process has the same graph, so
    /// they agree on which parameters received one) and keeps none.
    public func averageGradients(_ parameters: [Parameter]) throws {
        let total = parameters.reduce(0) { $0 + $1.value.count }
        var packed = [Float](repeating: 0, count: total)
        var offset = 0
        for p in parameters {
            if let g = p.gradient {
                g.inLayout(p.value.layout).withUnsafeBufferPointer { src in
                    for i in 0..<src.count { packed[offset + i] = src[i] }
                }
            }
            offset += p.value.count
        }
        try packed.withUnsafeMutableBufferPointer { try sum($0) }
        let scale = 1 / Float(size)
        offset = 0
        for p in parameters {
            let n = p.value.count
            if var g = p.gradient?.inLayout(p.value.layout) {
                g.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<n { dst[i] = packed[offset + i] * scale }
                }
                p.setGradient(g)
            }
            offset += n
        }
    }
}
