import PixelwiseCore
import PixelwiseNN

/// A network described in the columns of Tschopp's Tables 3.3–3.5, for `pixelwise models show`:
/// one row per layer with its output size w, f_in, f_out, kernel size k, stride s, kernel stride d
/// and parameter count (weights with biases and batch-norm scales), plus totals, including
/// Eq. 3.6's |W| = Σ_conv f_in · f_out · k² (convolution weights without biases).
public struct LayerTable: Sendable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var type: String
        /// (N, C, [D,] H, W) for batch 1.
        public var outputShape: Shape
        /// Channels of each input (two for merges).
        public var inputChannels: [Int]
        public var kernelSize: Int
        public var stride: Int
        public var kernelStride: Int
        /// All trainable values of the layer.
        public var parameters: Int
        /// Convolution weights only (Eq. 3.6's term), 0 for other layers.
        public var convolutionWeights: Int

        /// w: the spatial output size.
        public var size: Int { outputShape.spatial.last ?? 1 }
        public var outputChannels: Int { outputShape[1] }
    }

    public let inputSize: Int
    public let inputChannels: Int
    public var rows: [Row]

    /// Throws the shape error (naming the first layer that cannot take its input) when n is not a valid input size.
    public init(graph: Graph, inputSize: Int) throws {
        let shapes = try graph.shapes(forInputSize: inputSize)
        self.inputSize = inputSize
        inputChannels = graph.inputChannels
        rows = graph.nodes.enumerated().map { i, node in
            let window = node.layer.window
            let (k, s, d) = window.map { ($0.kernel.last!, $0.stride.last!, $0.dilation.last!) } ?? (1, 1, 1)
            let isConvolution = window?.role == .convolution || window?.role == .transposedConvolution
            let weights = isConvolution ? node.layer.parameters.first { $0.name == "weight" }?.parameter.value.count ?? 0 : 0
            return Row(name: node.name, type: node.layer.kind, outputShape: shapes[i],
                       inputChannels: node.inputs.map { $0 == Graph.inputIndex ? graph.inputChannels : shapes[$0][1] },
                       kernelSize: k, stride: s, kernelStride: d,
                       parameters: node.layer.parameters.reduce(0) { $0 + $1.parameter.value.count }, convolutionWeights: weights)
        }
    }

    public var outputSize: Int { rows.last?.size ?? inputSize }
    public var parameterCount: Int { rows.reduce(0) { $0 + $1.parameters } }
    /// Eq. 3.6: |W| = Σ f_in · f_out · k² over convolution (and transposed-convolution) layers.
    public var convolutionWeights: Int { rows.reduce(0) { $0 + $1.convolutionWeights } }

    /// The table as aligned text, a `data` row first, totals last.
    public var text: String {
        let header = ["layer", "type", "w", "f_in", "f_out", "k", "s", "d", "params"]
        var cells = [["data", "Input", "\(inputSize)", "\(inputChannels)", "\(inputChannels)", "1", "1", "1", "0"]]
        for r in rows {
            cells.append([r.name, r.type, "\(r.size)", r.inputChannels.map(String.init).joined(separator: " + "), "\(r.outputChannels)",
                          "\(r.kernelSize)", "\(r.stride)", "\(r.kernelStride)", LayerTable.grouped(r.parameters)])
        }
        let widths = header.indices.map { c in (cells.map { $0[c] } + [header[c]]).map(\.count).max()! }
        func line(_ row: [String]) -> String {
            row.enumerated().map { c, v in
                c < 2 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[c] - v.count) + v
            }.joined(separator: "  ")
        }
        var out = [line(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))]
        out += cells.map(line)
        out.append("input \(inputSize) → output \(outputSize) (context v = \(inputSize - outputSize)); "
                   + "parameters \(LayerTable.grouped(parameterCount)); convolution weights |W| (Eq. 3.6) \(LayerTable.grouped(convolutionWeights))")
        return out.joined(separator: "\n")
    }

    /// 20567952 → "20 567 952".
    static func grouped(_ n: Int) -> String {
        var s = String(n), out = ""
        while s.count > 3 {
            out = " " + s.suffix(3) + out
            s.removeLast(3)
        }
        return s + out
    }
}
