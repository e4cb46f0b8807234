import PixelwiseNN
import PixelwiseCore

extension ModelFile {
    /// A model file holding `graph`'s architecture, parameters and buffers, and optionally the
    /// optimiser's state for resuming.
    public init(graph: Graph, optimizer: (any Optimizer)? = nil, optimizerDescription: String? = nil,
                trainerState: String? = nil, rngState: [UInt64]? = nil) throws {
        self.init(architecture: try Architecture(graph).jsonText(),
                  parameters: graph.parameters.map { ($0.name, $0.parameter.value.inLayout(.rowMajor)) },
                  buffers: graph.buffers.map { ($0.name, $0.parameter.value.inLayout(.rowMajor)) },
                  optimizerState: optimizer?.state,
                  optimizerDescription: optimizerDescription,
                  optimizerStep: optimizer?.step,
                  trainerState: trainerState,
                  rngState: rngState)
    }

    /// Rebuilds the network the file describes, with its stored weights.
    public func makeGraph(path: String) throws -> Graph {
        let graph: Graph
        do { graph = try Architecture(jsonText: architecture).makeGraph() } catch let e as PixelwiseError {
            throw PixelwiseError.file(path: path, problem: e.description)
        }
        try load(into: graph, path: path)
        return graph
    }

    /// Copies the stored parameters and buffers into `graph`. Every missing, unexpected or
    /// wrongly shaped entry is collected and reported in one error, as PyTorch's
    /// `load_state_dict` does (a file from another architecture names them all).
    public func load(into graph: Graph, path: String) throws {
        var problems: [String] = []
        for (group, stored, wanted) in [("parameter", parameters, graph.parameters), ("buffer", buffers, graph.buffers)] {
            let byName = Dictionary(stored.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            for (name, p) in wanted {
                guard let value = byName[name] else { problems.append("missing \(group) \(name)"); continue }
                guard value.shape == p.shape else {
                    problems.append("\(name) is \(value.shape), expected \(p.shape)")
                    continue
                }
                p.value = value
            }
            let known = Set(wanted.map(\.name))
            for (name, _) in stored where !known.contains(name) { problems.append("unexpected \(group) \(name)") }
        }
        if !problems.isEmpty {
            let shown = problems.prefix(6).joined(separator: "; ") + (problems.count > 6 ? "; and \(problems.count - 6) more" : "")
            throw PixelwiseError.file(path: path, problem: "does not fit the network: \(shown)")
        }
    }
}
