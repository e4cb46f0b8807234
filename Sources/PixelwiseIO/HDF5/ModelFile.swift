import Foundation
import PixelwiseCore

/// What a Pixelwise model file holds: the architecture, the trained weights, and optionally
/// everything needed to resume training (optimiser slots, step, trainer state, RNG state).
///
/// The HDF5 layout (documented for h5py users in docs/model-file.md):
///
///     /                    attributes "format" = "pixelwise-model", "version" = "1",
///                          "architecture" = JSON text, "architecture_sha256" = its SHA-256 (hex),
///                          "contents_sha256" = SHA-256 of the layout (see `contentsDigest`)
///     /params/<a>/<b>/<c>  float32 parameter "a.b.c", PyTorch layout (conv weights [O,I,kH,kW])
///     /buffers/...         non-trained state (batch-norm running mean/var), same naming
///     /optimizer           attribute "optimizer" = JSON (+ "optimizer_sha256"); dataset
///                          /optimizer/step (int64 [1]; a scalar in files before checksums)
///     /optimizer/<param path>/<slot>   e.g. "enc1.conv1.weight.m" → /optimizer/enc1/conv1/weight/m
///     /trainer             attribute "state" = JSON (+ "state_sha256"); dataset /trainer/rng (uint64)
///
/// Every dataset is stored through HDF5's Fletcher-32 checksum filter (chunked); `read` verifies
/// the checksums and digests, and lists what carries none in `withoutChecksum`.
///
/// Dotted names map to dataset paths by replacing "." with "/", exactly PyTorch's `state_dict`
/// keys, so `f["params/enc1/conv1/weight"]` in h5py is `state_dict["enc1.conv1.weight"]`.
public struct ModelFile: Sendable {
    public static let format = "pixelwise-model"
    public static let version = "1"
    /// Suffix of the attribute holding a text attribute's SHA-256 ("architecture_sha256").
    public static let digestSuffix = "_sha256"

    /// The model description as JSON text; this type stores it and does not parse it.
    public var architecture: String
    /// Trained parameters by dotted name, e.g. "enc1.conv1.weight"; sorted by name after `read`.
    public var parameters: [(name: String, value: Tensor)]
    /// Non-trained state (batch-norm running statistics), named like `parameters`.
    public var buffers: [(name: String, value: Tensor)]
    /// Optimiser slots named "<parameter>.<slot>", e.g. "enc1.conv1.weight.m"; nil if not saved.
    public var optimizerState: [(name: String, value: Tensor)]?
    /// The optimiser's settings as JSON text.
    public var optimizerDescription: String?
    /// How many optimiser steps have been taken (Adam's bias correction needs it).
    public var optimizerStep: Int?
    /// The trainer's progress (iteration, best score, …) as JSON text.
    public var trainerState: String?
    /// The random generator's state words, to resume bit for bit.
    public var rngState: [UInt64]?
    /// After `read`: the datasets and text attributes the file holds without a checksum (all of
    /// them for files written before Pixelwise wrote checksums); empty when everything was verified.
    public var withoutChecksum: [String] = []

    public init(architecture: String,
                parameters: [(name: String, value: Tensor)],
                buffers: [(name: String, value: Tensor)] = [],
                optimizerState: [(name: String, value: Tensor)]? = nil,
                optimizerDescription: String? = nil,
                optimizerStep: Int? = nil,
                trainerState: String? = nil,
                rngState: [UInt64]? = nil) {
        self.architecture = architecture
        self.parameters = parameters
        self.buffers = buffers
        self.optimizerState = optimizerState
        self.optimizerDescription = optimizerDescription
        self.optimizerStep = optimizerStep
        self.trainerState = trainerState
        self.rngState = rngState
    }

    /// The dataset path of dotted `name` inside `group`: ("params", "enc1.conv1.weight") →
    /// "/params/enc1/conv1/weight".
    public static func datasetPath(group: String, name: String) -> String {
        "/\(group)/" + name.replacingOccurrences(of: ".", with: "/")
    }

    /// The dotted name of a dataset path below `group`; the inverse of `datasetPath`.
    static func name(ofDatasetPath path: String, group: String) -> String {
        String(path.dropFirst(group.count + 2)).replacingOccurrences(of: "/", with: ".")
    }
}
