import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseNN

/// What a trained model remembers about its data, stored in the graph's metadata (and so in the
/// model file): how raw images were normalised and which label value each class stands for.
/// `segment` reads it back so that a model file is all a user needs.
public struct ModelConventions {
    public var normalisation = RawNormalisation()
    /// The label-image value written for each class (ISBI/ssTEM style: background 0, foreground 255).
    public var classValues: [Float]
    /// The class mapping training used (names, merged values), when the model file records it.
    public var labelMap: LabelMap?
    /// The axis training cut volumes along (nil: z, the stored slices); `segment`'s default.
    public var sliceAxis: SliceAxis?
    /// 3-D networks: the input patch training used (z, y, x), `segment`'s smallest block, so that
    /// a block sees at least the depth the network learned from.
    public var trainingPatch: [Int]?
    /// 3-D networks: the voxel spacing (z, y, x) of the training volumes, `segment`'s spacing
    /// unless `--spacing` is given: the symmetries test-time augmentation may use are those of
    /// the data the network was trained on.
    public var spacing: [Double]?

    public init(classes: Int) {
        classValues = (0..<classes).map { classes <= 1 ? 255 : Float($0 * 255 / (classes - 1)) }
    }

    public init(graph: Graph, classes: Int) {
        self.init(classes: classes)
        let m = graph.metadata
        if m["normalisation"] == "unit" { normalisation.symmetric = false }
        if let c = m["channels"], let channels = RawNormalisation.Channels(rawValue: c) { normalisation.channels = channels }
        if let v = m["class_values"] {
            let values = v.split(separator: ",").compactMap { Float($0) }
            if values.count == classes { classValues = values }
        }
        // Newer model files: the whole normalisation (per-channel intensities) and class mapping as JSON.
        if let json = m["raw_normalisation"], let value = try? JSONDecoder().decode(RawNormalisation.self, from: Data(json.utf8)) {
            normalisation = value
        }
        if let json = m["label_map"], let value = try? JSONDecoder().decode(LabelMap.self, from: Data(json.utf8)), value.classCount == classes {
            labelMap = value
            classValues = value.outputValues
        }
        sliceAxis = m["slice_axis"].flatMap(SliceAxis.init(rawValue:))
        func numbers<T: LosslessStringConvertible>(_ key: String) -> [T]? {
            guard let text = m[key] else { return nil }
            let values = text.split(separator: ",").compactMap { T(String($0)) }
            return values.count == 3 ? values : nil
        }
        trainingPatch = numbers("training_patch")
        spacing = numbers("spacing")
    }

    public func store(in graph: Graph) {
        graph.metadata["normalisation"] = normalisation.symmetric ? "symmetric" : "unit"
        graph.metadata["channels"] = normalisation.channels.rawValue
        graph.metadata["class_values"] = classValues.map { String(Int($0)) }.joined(separator: ",")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let data = try? encoder.encode(normalisation) { graph.metadata["raw_normalisation"] = String(decoding: data, as: UTF8.self) }
        if let labelMap, let data = try? encoder.encode(labelMap) { graph.metadata["label_map"] = String(decoding: data, as: UTF8.self) }
        if let sliceAxis, sliceAxis != .z { graph.metadata["slice_axis"] = sliceAxis.rawValue }
        if let trainingPatch { graph.metadata["training_patch"] = trainingPatch.map(String.init).joined(separator: ",") }
        if let spacing { graph.metadata["spacing"] = spacing.map { String($0) }.joined(separator: ",") }
    }

    /// The network input (1, C, H, W) for a file image.
    public func tensor(for image: Image) -> Tensor {
        planarTensor(normalisation.apply(to: image))
    }
}

/// (1, C, H, W) row-major from an interleaved image.
public func planarTensor(_ image: Image) -> Tensor {
    let (w, h, c) = (image.width, image.height, image.channels)
    if c == 1 { return Tensor(shape: [1, 1, h, w], scalars: image.pixels) }
    var out = [Float](repeating: 0, count: w * h * c)
    for p in 0..<(w * h) { for k in 0..<c { out[k * w * h + p] = image.pixels[p * c + k] } }
    return Tensor(shape: [1, c, h, w], scalars: out)
}

/// Per-pixel arg-max class of (1, C, H, W) probabilities.
public func argmaxClasses(_ probabilities: Tensor) -> [Int32] {
    let c = probabilities.shape[1], n = probabilities.shape[2] * probabilities.shape[3]
    let p = probabilities.scalars
    if c == 1 { return (0..<n).map { p[$0] >= 0.5 ? 1 : 0 } }
    return (0..<n).map { i in
        var best = 0
        for k in 1..<c where p[k * n + i] > p[best * n + i] { best = k }
        return Int32(best)
    }
}

/// Foreground probability per pixel: class 1 of a softmax output, or the sigmoid's only channel.
public func foregroundProbability(_ probabilities: Tensor) -> [Float] {
    let n = probabilities.shape[2] * probabilities.shape[3]
    let p = probabilities.scalars
    return probabilities.shape[1] == 1 ? Array(p[0..<n]) : Array(p[n..<(2 * n)])
}

/// The summed probability of `classes` per pixel, from planar (1, C, H, W) probabilities: a
/// many-class output consolidated into one foreground map, as a two-class model gives
/// (`segment --foreground-classes`, `train --foreground-classes`).
public func foregroundProbability(_ probabilities: Tensor, classes: [Int]) -> [Float] {
    let n = probabilities.shape[2] * probabilities.shape[3]
    let planar = probabilities.scalars
    var sum = [Float](repeating: 0, count: n)
    for k in classes { for p in 0..<n { sum[p] += planar[k * n + p] } }
    return sum
}
