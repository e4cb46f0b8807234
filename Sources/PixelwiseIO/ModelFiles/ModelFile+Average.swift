import Foundation
import PixelwiseNN
import PixelwiseCore

extension ModelFile {
    /// The weighted average of models of one network: every parameter and buffer (batch-norm
    /// running statistics too) is Σ wᵢ · valueᵢ, accumulated in double precision.
    ///
    /// Averaging a fine-tuned model with the model it started from (WiSE-FT, Wortsman et al.,
    /// CVPR 2022) or several fine-tunes of one start ("model soups") often lands between their
    /// behaviours better than either end point does — e.g. a Malis fine-tune's topology with
    /// less of its pixel-error cost (models/RESULTS.md). Models trained from different random
    /// starts are not in one basin; their average is rarely useful, so run `evaluate` on it.
    ///
    /// The models must describe the same network and the same data conventions (input channels,
    /// normalisation, classes, label map): their architectures must be equal apart from the
    /// metadata entries `seed` and `averaged_from`. Weights are non-negative and sum to 1. The
    /// result holds no optimiser or trainer state (it is a model to segment with, or to start a
    /// new run from); its metadata `averaged_from` names the inputs and their weights.
    ///
    /// - Parameter models: (how to name it — a path — and the model read from it).
    public static func weightedAverage(of models: [(path: String, model: ModelFile)], weights: [Double]) throws -> ModelFile {
        guard models.count >= 2 else {
            throw PixelwiseError.invalidArgument("averaging needs at least two models, got \(models.count)")
        }
        guard weights.count == models.count else {
            throw PixelwiseError.invalidArgument("\(models.count) models but \(weights.count) weights; give one weight per model")
        }
        if let bad = weights.first(where: { !($0 >= 0) || !$0.isFinite }) {
            throw PixelwiseError.invalidArgument("weights must be finite and non-negative, got \(bad)")
        }
        let total = weights.reduce(0, +)
        guard abs(total - 1) <= 1e-6 else {
            throw PixelwiseError.invalidArgument("weights must sum to 1, they sum to \(total)")
        }

        let first = models[0]
        let reference = try comparable(first.model, path: first.path)
        for other in models.dropFirst() {
            let architecture = try comparable(other.model, path: other.path)
            if let difference = Self.firstDifference(reference, architecture) {
                throw PixelwiseError.file(path: other.path, problem: "not the network of \(first.path) (\(difference)); only models of one network and one data convention can be averaged")
            }
        }

        func average(_ group: String, _ entries: (ModelFile) -> [(name: String, value: Tensor)]) throws -> [(name: String, value: Tensor)] {
            let byModel = models.map { m in Dictionary(entries(m.model).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) }
            return try entries(first.model).map { name, value in
                var sum = [Double](repeating: 0, count: value.count)
                for (index, model) in models.enumerated() {
                    guard let other = byModel[index][name] else {
                        throw PixelwiseError.file(path: model.path, problem: "has no \(group) \(name), which \(first.path) has")
                    }
                    guard other.shape == value.shape else {
                        throw PixelwiseError.file(path: model.path, problem: "\(group) \(name) is \(other.shape), \(first.path) has \(value.shape)")
                    }
                    let w = weights[index]
                    for (i, x) in other.inLayout(.rowMajor).scalars.enumerated() { sum[i] += w * Double(x) }
                }
                return (name, Tensor(shape: value.shape, scalars: sum.map { Float($0) }))
            }
        }
        for (index, model) in models.enumerated() where index > 0 {
            let extra = Set((model.model.parameters + model.model.buffers).map(\.name))
                .subtracting((first.model.parameters + first.model.buffers).map(\.name))
            if let name = extra.sorted().first {
                throw PixelwiseError.file(path: model.path, problem: "has \(name), which \(first.path) has not")
            }
        }

        var architecture = try Architecture(jsonText: first.model.architecture)
        architecture.metadata["averaged_from"] = zip(models, weights)
            .map { "\(Self.weightText($1)) × \(URL(fileURLWithPath: $0.path).lastPathComponent)" }
            .joined(separator: " + ")
        return ModelFile(architecture: try architecture.jsonText(),
                         parameters: try average("parameter", \.parameters),
                         buffers: try average("buffer", \.buffers))
    }

    /// The architecture without the metadata that may differ between models of one network.
    private static func comparable(_ model: ModelFile, path: String) throws -> Architecture {
        var architecture: Architecture
        do { architecture = try Architecture(jsonText: model.architecture) } catch let error as PixelwiseError {
            throw PixelwiseError.file(path: path, problem: error.description)
        }
        architecture.metadata["seed"] = nil
        architecture.metadata["averaged_from"] = nil
        return architecture
    }

    /// What first differs between two architectures, in words; nil when they are equal.
    private static func firstDifference(_ a: Architecture, _ b: Architecture) -> String? {
        if a.inputChannels != b.inputChannels { return "\(b.inputChannels) input channels instead of \(a.inputChannels)" }
        if a.spatialRank != b.spatialRank { return "\(b.spatialRank)-D instead of \(a.spatialRank)-D" }
        for key in Set(a.metadata.keys).union(b.metadata.keys).sorted() where a.metadata[key] != b.metadata[key] {
            return "its \(key) is \(b.metadata[key] ?? "absent") instead of \(a.metadata[key] ?? "absent")"
        }
        if a.nodes.count != b.nodes.count { return "\(b.nodes.count) layers instead of \(a.nodes.count)" }
        for (x, y) in zip(a.nodes, b.nodes) where x != y {
            return x.name == y.name ? "layer \(y.name) is configured differently" : "layer \(y.name) where there is \(x.name)"
        }
        return nil
    }

    /// 0.5 → "0.5", 1/3 → "0.3333".
    private static func weightText(_ w: Double) -> String {
        let text = String(format: "%.4f", w)
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
