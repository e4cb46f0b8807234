import Dispatch

/// Accumulates wall-clock time per graph node, forward and backward separately.
public final class LayerTimer {
    public private(set) var forward: [Double]
    public private(set) var backward: [Double]

    public init(nodes: Int) {
        forward = [Double](repeating: 0, count: nodes)
        backward = [Double](repeating: 0, count: nodes)
    }

    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func record(node: Int, forward isForward: Bool, since start: UInt64) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if isForward { forward[node] += seconds } else { backward[node] += seconds }
    }

    public func reset() {
        forward = forward.map { _ in 0 }
        backward = backward.map { _ in 0 }
    }
}
