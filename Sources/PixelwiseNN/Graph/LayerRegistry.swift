import Foundation
import PixelwiseCore

/// Every layer type by its `kind`: how a model file's architecture text becomes layers again.
/// A new layer adds one line here.
public enum LayerRegistry {
    public static let all: [any Layer.Type] = [
        Add.self,
        AveragePooling.self,
        BatchNormalization.self,
        Concatenation.self,
        Convolution.self,
        Dropout.self,
        GroupNormalization.self,
        InstanceNormalization.self,
        LeakyReLU.self,
        MaxPooling.self,
        MergeCrop.self,
        ReLU.self,
        Sigmoid.self,
        Softmax.self,
        TransposedConvolution.self,
        Upsampling.self,
    ]

    public static func type(of kind: String) throws -> any Layer.Type {
        guard let t = all.first(where: { $0.kind == kind }) else {
            throw PixelwiseError.invalidArgument("unknown layer kind \(kind); known: \(all.map { $0.kind }.joined(separator: ", "))")
        }
        return t
    }
}

/// A graph written as data: what a model file stores (as JSON) so that `segment` can rebuild the
/// network without any other file.
public struct Architecture: Codable, Equatable, Sendable {
    public struct Node: Codable, Equatable, Sendable {
        public var name: String
        public var kind: String
        /// Names of input nodes; "input" is the network input.
        public var inputs: [String]
        /// The layer's `Configuration` as JSON text.
        public var configuration: String
    }

    public var version = 1
    public var inputChannels: Int
    public var spatialRank: Int
    public var metadata: [String: String]
    public var nodes: [Node]

    public init(_ graph: Graph) throws {
        inputChannels = graph.inputChannels
        spatialRank = graph.spatialRank
        metadata = graph.metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        nodes = try graph.nodes.map { node in
            Node(name: node.name, kind: node.layer.kind,
                 inputs: node.inputs.map { $0 == Graph.inputIndex ? "input" : graph.nodes[$0].name },
                 configuration: String(decoding: try Architecture.encode(node.layer, encoder), as: UTF8.self))
        }
    }

    static func encode<L: Layer>(_ layer: L, _ encoder: JSONEncoder) throws -> Data { try encoder.encode(layer.configuration) }

    static func decode<L: Layer>(_ type: L.Type, _ json: String) throws -> L {
        try L(try JSONDecoder().decode(L.Configuration.self, from: Data(json.utf8)))
    }

    /// Rebuilds the graph (parameters get their initial values; load weights afterwards).
    public func makeGraph() throws -> Graph {
        let graph = Graph(inputChannels: inputChannels, spatialRank: spatialRank)
        graph.metadata = metadata
        var indices: [String: Graph.Value] = ["input": graph.input]
        for node in nodes {
            let layer: any Layer
            do { layer = try Architecture.decode(try LayerRegistry.type(of: node.kind), node.configuration) } catch let e as PixelwiseError {
                throw PixelwiseError.invalidArgument("layer \(node.name): \(e.description)")
            } catch {
                throw PixelwiseError.invalidArgument("layer \(node.name): bad configuration for \(node.kind)")
            }
            let inputs = try node.inputs.map { name -> Graph.Value in
                guard let v = indices[name] else { throw PixelwiseError.invalidArgument("layer \(node.name) reads unknown node \(name)") }
                return v
            }
            indices[node.name] = try graph.add(node.name, layer, inputs: inputs)
        }
        return graph
    }

    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public init(jsonText: String) throws {
        do { self = try JSONDecoder().decode(Architecture.self, from: Data(jsonText.utf8)) } catch {
            throw PixelwiseError.invalidArgument("the architecture description is not valid: \(error.localizedDescription)")
        }
    }
}
