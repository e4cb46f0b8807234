import PixelwiseCore
import PixelwiseNN

/// Which square inputs a network takes, and what it makes of them.
///
/// A network runs on any input its layers allow: every convolution needs d·(k − 1) + 1 pixels,
/// valid U-Nets need MergeCrop's even size differences, same-padding U-Nets need up-sampled maps
/// to match their skips. On top of the layers' own shape rules, a down-sampling pooling (stride = kernel,
/// no kernel stride) must divide its input evenly (Tschopp §3.1): otherwise the last rows would be
/// dropped and the output would no longer line up with the input.
extension Graph {
    /// Shapes of every node for a batch-1 input of n pixels along each spatial axis.
    /// Node by node, so that the first layer at fault is the one named in the error.
    public func shapes(forInputSize n: Int) throws -> [Shape] {
        guard n >= 1 else { throw PixelwiseError.shapeMismatch("input size \(n) must be positive") }
        let input = Shape([1, inputChannels] + Array(repeating: n, count: spatialRank))
        var shapes: [Shape] = []
        for node in nodes {
            let ins = node.inputs.map { $0 == Graph.inputIndex ? input : shapes[$0] }
            if let strides = Graph.downsampling(node.layer), let (w, stride) = zip(ins[0].spatial, strides).first(where: { $0 % $1 != 0 }) {
                throw PixelwiseError.shapeMismatch("\(node.name): pooling input \(w) is not divisible by its kernel \(stride) and stride \(stride)")
            }
            do { shapes.append(try node.layer.outputShape(for: ins)) } catch let error as PixelwiseError {
                throw error.located(at: node.name)
            }
        }
        return shapes
    }

    /// The per-axis strides of a down-sampling pooling layer: stride = kernel, some axis > 1, no kernel
    /// stride (anisotropic 3-D pooling has 1 in depth).
    static func downsampling(_ layer: any Layer) -> [Int]? {
        guard let w = layer.window, w.role == .pooling, w.dilation.allSatisfy({ $0 == 1 }), w.stride == w.kernel,
              w.stride.contains(where: { $0 > 1 }) else { return nil }
        return w.stride
    }

    /// Output size (along the width axis) for an input of n: 572 → 388 for Tschopp's U-Net.
    public func outputSize(for inputSize: Int) throws -> Int {
        try shapes(forInputSize: inputSize).last?.spatial.last ?? inputSize
    }

    /// Tschopp's total padding v = input − output: the context a valid network consumes (184 for
    /// the U-Net at 572, 101 for SK-Net, 180 for USK-Net); a border of v/2 per side (rounded as
    /// the network's geometry dictates) must be added around a tile to classify all of it. 0 for
    /// same-padding networks.
    public func context(forInputSize n: Int) throws -> Int { n - (try outputSize(for: n)) }

    public func isValidInputSize(_ n: Int) -> Bool { (try? shapes(forInputSize: n)) != nil }
}

/// Valid square input sizes nearest to n: up to `count` below (descending) and `count` above
/// (ascending), searching down to 1 and up to n + 4096.
public func validInputSizes(for graph: Graph, near n: Int, count: Int = 2) -> (below: [Int], above: [Int]) {
    var below: [Int] = [], above: [Int] = []
    var m = n - 1
    while m >= 1, below.count < count {
        if graph.isValidInputSize(m) { below.append(m) }
        m -= 1
    }
    m = n + 1
    while m <= n + 4096, above.count < count {
        if graph.isValidInputSize(m) { above.append(m) }
        m += 1
    }
    return (below, above)
}
