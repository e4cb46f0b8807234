import PixelwiseCore
import PixelwiseNN

/// A strided-kernel (SK) network made by `StridedKernelConversion` (Tschopp §3.3): every layer has
/// stride 1 and no padding, convolutions and poolings have kernel strides d, and the former inner
/// products are convolutions. An input of w ≥ w_SW gives an output of w − w_SW + 1 (Table 3.3:
/// 229 → 128 for w_SW = 102), each output pixel equal to the SW network on the window at its place.
public struct StridedKernelNetwork: Codable, Equatable, Sendable {
    /// w_SW^(0): the context of one output pixel.
    public var windowSize: Int
    public var inputChannels: Int
    public var layers: [LayerSpec]
    public var initializer: Initializer

    public init(windowSize: Int, inputChannels: Int, layers: [LayerSpec], initializer: Initializer) {
        self.windowSize = windowSize
        self.inputChannels = inputChannels
        self.layers = layers
        self.initializer = initializer
    }

    /// w_SK^(N) = w_SK^(0) − w_SW^(0) + 1.
    public func outputSize(forInput n: Int) -> Int { n - windowSize + 1 }

    /// f_out of the last layer.
    public var outputChannels: Int { layers.reduce(inputChannels) { $1.outputChannels($0) } }

    /// Appends the SK layers to `graph` after `x` (which has `inputChannels` maps); returns the last value.
    /// USK-Net uses this to put an SK subnet inside a U-Net.
    @discardableResult
    public func add(to graph: Graph, after x: Graph.Value) throws -> Graph.Value {
        var x = x, channels = inputChannels
        for l in layers {
            x = try graph.add(l.name, try l.makeLayer(channels: channels, initializer: initializer), x)
            channels = l.outputChannels(channels)
        }
        return x
    }

    public func makeGraph(seed: UInt64 = 1) throws -> Graph {
        let g = Graph(inputChannels: inputChannels)
        try add(to: g, after: g.input)
        g.metadata["model"] = "sk-net"
        g.resetParameters(seed: seed)
        return g
    }
}

/// Copies every parameter of `source` into the parameter of `target` at the same dotted path
/// (e.g. a trained SW network's weights into its SK network, whose paths and shapes match).
/// Throws one error listing every missing path and every shape mismatch.
public func transferParameters(from source: Graph, to target: Graph) throws {
    let byName = Dictionary(source.parameters.map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
    var problems: [String] = []
    for (name, p) in target.parameters {
        guard let s = byName[name] else { problems.append("\(name) missing"); continue }
        guard s.shape == p.shape else { problems.append("\(name) is \(s.shape), expected \(p.shape)"); continue }
        p.value = s.value
    }
    guard problems.isEmpty else { throw PixelwiseError.invalidArgument("parameter transfer: " + problems.joined(separator: "; ")) }
}
