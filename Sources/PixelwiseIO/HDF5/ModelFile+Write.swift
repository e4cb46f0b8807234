import Foundation
import PixelwiseCore

extension ModelFile {
    /// Writes the model to `path` atomically (`AtomicFile`): either the new file is complete and
    /// synced at `path`, or `path` is untouched (an older model stays readable) and no temporary
    /// file is left; errors name `path`.
    ///
    /// Every dataset carries a Fletcher-32 checksum and every JSON text attribute a SHA-256 digest
    /// ("<name>_sha256"), which `read(from:)` verifies.
    public func write(to path: String) throws {
        try validateNames(path)
        // Built in memory, then written by AtomicFile: a full disk or a size limit is a plain
        // failed write(2) there, never an I/O error inside libhdf5.
        let file = try HDF5File(creatingInMemory: path)
        let bytes: [UInt8]
        do {
            try writeContents(to: file)
            bytes = try file.fileImage()
        } catch {
            file.close()
            throw error
        }
        try AtomicFile.write(bytes, to: path)
    }

    /// Lays the model out as documented on `ModelFile`.
    private func writeContents(to file: HDF5File) throws {
        try file.setAttribute("format", ModelFile.format)
        try file.setAttribute("version", ModelFile.version)
        try writeDigested("architecture", architecture, at: "/", to: file)
        try file.createGroup("/params")  // present even when empty: readers rely on it
        try writeTensors(parameters, in: "params", to: file)
        try writeTensors(buffers, in: "buffers", to: file)
        if let optimizerState { try writeTensors(optimizerState, in: "optimizer", to: file) }
        if let optimizerDescription { try writeDigested("optimizer", optimizerDescription, at: "/optimizer", to: file) }
        // Shape [1], not a scalar: HDF5 can only checksum chunked datasets, and scalars cannot be chunked.
        if let optimizerStep { try file.write([Int64(optimizerStep)], shape: [1], at: "/optimizer/step", checksummed: true) }
        if let trainerState { try writeDigested("state", trainerState, at: "/trainer", to: file) }
        if let rngState { try file.write(rngState, at: "/trainer/rng", checksummed: true) }
        try file.setAttribute("contents" + ModelFile.digestSuffix, contentsDigest())
    }

    private func writeTensors(_ tensors: [(name: String, value: Tensor)], in group: String, to file: HDF5File) throws {
        for (name, value) in tensors {
            try file.write(value, at: ModelFile.datasetPath(group: group, name: name), checksummed: true)
        }
    }

    /// A text attribute and, next to it, "<name>_sha256" holding its digest.
    private func writeDigested(_ name: String, _ text: String, at object: String, to file: HDF5File) throws {
        try file.setAttribute(name, text, at: object)
        try file.setAttribute(name + ModelFile.digestSuffix, SHA256.hex(text.utf8), at: object)
    }

    /// Names must be dotted paths of non-empty parts without "/", unique within their group;
    /// checked before anything is written so the common mistakes fail early and clearly.
    private func validateNames(_ path: String) throws {
        let groups: [(String, [String])] = [
            ("parameter", parameters.map(\.name)),
            ("buffer", buffers.map(\.name)),
            ("optimizer slot", (optimizerState ?? []).map(\.name)),
        ]
        for (kind, names) in groups {
            var seen = Set<String>()
            for name in names {
                let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                guard !name.contains("/"), parts.allSatisfy({ !$0.isEmpty }) else {
                    throw PixelwiseError.file(path: path, problem: "\(kind) name \"\(name)\" is not a dotted path like enc1.conv1.weight")
                }
                guard seen.insert(name).inserted else {
                    throw PixelwiseError.file(path: path, problem: "\(kind) \(name) appears twice")
                }
            }
        }
        if optimizerStep != nil, (optimizerState ?? []).contains(where: { $0.name == "step" || $0.name.hasPrefix("step.") }) {
            throw PixelwiseError.file(path: path, problem: "optimizer slot names may not start with \"step\": /optimizer/step holds the step count")
        }
    }
}
