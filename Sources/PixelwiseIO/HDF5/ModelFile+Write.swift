import Foundation
import PixelwiseCore

extension ModelFile {
    /// Writes the model to `path` atomically: either the new file is complete at `path`, or
    /// `path` is untouched (an older model stays readable).
    ///
    /// The file is written as "<path>.tmp-<pid>" in the same folder (so the final `rename` stays on
    /// one file system, where POSIX makes it atomic), flushed, closed and fsync'ed, then renamed
    /// over `path`. On any error the temporary file is removed and the error names `path`.
    public func write(to path: String) throws {
        try validateNames(path)
        let temporary = "\(path).tmp-\(getpid())"
        do {
            let file = try HDF5File(creating: temporary)
            do {
                try writeContents(to: file)
                try file.flushAndClose()
            } catch {
                file.close()
                throw error
            }
            try syncToDisk(temporary)
            guard rename(temporary, path) == 0 else {
                throw PixelwiseError.file(path: path, problem: "cannot replace the file: \(String(cString: strerror(errno)))")
            }
            syncFolder(of: path)
        } catch {
            unlink(temporary)
            // Errors from the temporary file should name the file the user asked for.
            if case let .file(errorPath, problem)? = error as? PixelwiseError, errorPath == temporary {
                throw PixelwiseError.file(path: path, problem: problem)
            }
            throw error
        }
    }

    /// Lays the model out as documented on `ModelFile`.
    private func writeContents(to file: HDF5File) throws {
        try file.setAttribute("format", ModelFile.format)
        try file.setAttribute("version", ModelFile.version)
        try file.setAttribute("architecture", architecture)
        try file.createGroup("/params")  // present even when empty: readers rely on it
        try writeTensors(parameters, in: "params", to: file)
        try writeTensors(buffers, in: "buffers", to: file)
        if let optimizerState { try writeTensors(optimizerState, in: "optimizer", to: file) }
        if let optimizerDescription { try file.setAttribute("optimizer", optimizerDescription, at: "/optimizer") }
        if let optimizerStep { try file.write([Int64(optimizerStep)], shape: [], at: "/optimizer/step") }
        if let trainerState { try file.setAttribute("state", trainerState, at: "/trainer") }
        if let rngState { try file.write(rngState, at: "/trainer/rng") }
    }

    private func writeTensors(_ tensors: [(name: String, value: Tensor)], in group: String, to file: HDF5File) throws {
        for (name, value) in tensors {
            try file.write(value, at: ModelFile.datasetPath(group: group, name: name))
        }
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

    /// fsync the finished file so that the rename cannot reach the disk before the data does.
    private func syncToDisk(_ temporary: String) throws {
        let fd = open(temporary, O_RDONLY)
        guard fd >= 0 else { throw PixelwiseError.file(path: temporary, problem: "cannot reopen to sync") }
        defer { Foundation.close(fd) }
        guard fsync(fd) == 0 else { throw PixelwiseError.file(path: temporary, problem: "cannot sync to disk") }
    }

    /// fsync the folder so the rename itself is durable; best effort (some file systems refuse).
    private func syncFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        Foundation.close(fd)
    }
}
