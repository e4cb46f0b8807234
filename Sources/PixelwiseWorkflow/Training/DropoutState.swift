import PixelwiseCore
import PixelwiseNN

/// The random state of a graph's dropout layers, for checkpoints (`ModelFile.rngState`).
///
/// A graph rebuilt from a model file gets fresh dropout generators; restoring their saved state
/// makes a resumed run draw the same masks as an uninterrupted one. Layout: four xoshiro state
/// words per node with a random generator (`Layer.randomGenerator`: the `Dropout` nodes), in node order.
public enum DropoutState {
    public static func dropouts(of graph: Graph) -> [any Layer] { graph.nodes.map(\.layer).filter { $0.randomGenerator != nil } }

    public static func words(of graph: Graph) -> [UInt64] { dropouts(of: graph).flatMap { $0.randomGenerator!.stateWords } }

    public static func restore(_ words: [UInt64], into graph: Graph, path: String) throws {
        let layers = dropouts(of: graph)
        guard words.count == 4 * layers.count else {
            throw PixelwiseError.file(path: path, problem: "holds \(words.count) random-state words for \(layers.count) dropout layer(s), expected \(4 * layers.count)")
        }
        for (k, layer) in layers.enumerated() { layer.randomGenerator = SeededGenerator(state: Array(words[(4 * k)..<(4 * k + 4)])) }
    }
}
