import PixelwiseCore

extension ModelFile {
    /// Reads a model file written by `write(to:)` (or by any tool that follows the layout).
    ///
    /// Fails with a one-line `PixelwiseError.file` when the file is missing, is not HDF5, is
    /// damaged, is not a Pixelwise model (no or another "format" attribute), is of a newer
    /// version, or lacks a required attribute or group; and when a checksum fails: a dataset's
    /// Fletcher-32 or a text attribute's SHA-256 digest ("dataset /params/enc1/conv1/weight fails
    /// its Fletcher-32 checksum: the file is damaged"). What carries no checksum (files written
    /// before checksums, or by other tools) is listed in `withoutChecksum`, not refused.
    public static func read(from path: String) throws -> ModelFile {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        func fail(_ problem: String) -> PixelwiseError { .file(path: path, problem: problem) }

        guard let format = try file.stringAttribute("format") else {
            throw fail("not a Pixelwise model (no attribute \"format\" on /)")
        }
        guard format == ModelFile.format else {
            throw fail("not a Pixelwise model (format is \"\(format)\", expected \"\(ModelFile.format)\")")
        }
        guard let version = try file.stringAttribute("version") else {
            throw fail("missing attribute \"version\" on /")
        }
        guard version == ModelFile.version else {
            throw fail("model file version \(version) is not supported (this Pixelwise reads version \(ModelFile.version))")
        }
        var unchecked: [String] = []
        guard let architecture = try digestedAttribute("architecture", at: "/", of: file, unchecked: &unchecked) else {
            throw fail("missing attribute \"architecture\" on /")
        }
        guard file.exists("/params") else { throw fail("no group /params") }

        var model = ModelFile(architecture: architecture,
                              parameters: try readTensors(in: "params", of: file, unchecked: &unchecked),
                              buffers: file.exists("/buffers") ? try readTensors(in: "buffers", of: file, unchecked: &unchecked) : [])
        if file.exists("/optimizer") {
            model.optimizerState = try readTensors(in: "optimizer", of: file, except: ["/optimizer/step"], unchecked: &unchecked)
            model.optimizerDescription = try digestedAttribute("optimizer", at: "/optimizer", of: file, unchecked: &unchecked)
            if file.exists("/optimizer/step") {
                let step = try file.read(Int64.self, at: "/optimizer/step", integersOnly: true).values
                guard step.count == 1 else { throw fail("/optimizer/step holds \(step.count) values, expected 1") }
                if try !isProtected("/optimizer/step", in: file) { unchecked.append("/optimizer/step") }
                model.optimizerStep = Int(step[0])
            }
        }
        if file.exists("/trainer") {
            model.trainerState = try digestedAttribute("state", at: "/trainer", of: file, unchecked: &unchecked)
            if file.exists("/trainer/rng") {
                model.rngState = try file.readUInt64s(at: "/trainer/rng")
                if try !isProtected("/trainer/rng", in: file) { unchecked.append("/trainer/rng") }
            }
        }
        // The digest of the whole layout: HDF5 tolerates some damaged object headers by leaving
        // out what they held (a group's links, an object's attributes), which would read as a
        // model with a part missing; the digest of what was read catches that.
        let contents = model.contentsDigest()
        if let stored = try file.stringAttribute("contents" + digestSuffix) {
            guard stored == contents else {
                throw fail("its groups, datasets and attributes do not match its SHA-256 digest (contents_sha256): the file is damaged")
            }
        } else if unchecked.count < model.parameters.count + model.buffers.count + (model.optimizerState?.count ?? 0) + 1 {
            // Some parts carry checksums, so a checksumming Pixelwise wrote it: the digest was lost.
            throw fail("attribute contents_sha256 on / is missing although its datasets carry checksums: the file is damaged")
        } else {
            unchecked.append("attribute contents on /")
        }
        model.withoutChecksum = unchecked
        return model
    }

    /// Every dataset below `/group`, as (dotted name, tensor) sorted by name; the paths of those
    /// without a checksum are appended to `unchecked`.
    private static func readTensors(in group: String, of file: HDF5File, except excluded: Set<String> = [],
                                    unchecked: inout [String]) throws -> [(name: String, value: Tensor)]
    {
        var tensors: [(name: String, value: Tensor)] = []
        for path in try file.datasetPaths(under: "/" + group) where !excluded.contains(path) {
            tensors.append((name: name(ofDatasetPath: path, group: group), value: try file.readTensor(at: path)))
            if try !isProtected(path, in: file) { unchecked.append(path) }
        }
        return tensors.sorted { $0.name < $1.name }
    }

    /// Whether the dataset's values are covered by a checksum; an empty dataset has no values to
    /// damage (HDF5 cannot chunk it, so it carries no filter).
    private static func isProtected(_ path: String, in file: HDF5File) throws -> Bool {
        try file.isChecksummed(at: path) || file.shape(at: path).contains(0)
    }

    /// The text attribute `name` on `object`, verified against "<name>_sha256" when that is
    /// there (a mismatch throws); without it, "<object>@<name>" is appended to `unchecked`.
    private static func digestedAttribute(_ name: String, at object: String, of file: HDF5File,
                                          unchecked: inout [String]) throws -> String? {
        guard let text = try file.stringAttribute(name, at: object) else { return nil }
        guard let digest = try file.stringAttribute(name + digestSuffix, at: object) else {
            unchecked.append("attribute \(name) on \(object)")
            return text
        }
        guard digest == SHA256.hex(text.utf8) else {
            throw PixelwiseError.file(path: file.path, problem: "attribute \(name) on \(object) does not match its SHA-256 digest (\(name + digestSuffix)): the file is damaged")
        }
        return text
    }

    /// SHA-256 of everything in the model except the tensors' values (which Fletcher-32 covers):
    /// the texts, the names and shapes of all tensors, the step and the random state. Written as
    /// the root attribute "contents_sha256" and compared on read.
    func contentsDigest() -> String {
        var text = "architecture \(architecture.utf8.count)\n\(architecture)\n"
        for (kind, tensors) in [("parameter", parameters), ("buffer", buffers), ("slot", optimizerState ?? [])] {
            for (name, value) in tensors.sorted(by: { $0.name < $1.name }) { text += "\(kind) \(name) \(value.shape.dims)\n" }
        }
        text += "optimizer \(optimizerState != nil)\n"
        if let optimizerDescription { text += "optimizer description \(optimizerDescription.utf8.count)\n\(optimizerDescription)\n" }
        if let optimizerStep { text += "step \(optimizerStep)\n" }
        if let trainerState { text += "trainer state \(trainerState.utf8.count)\n\(trainerState)\n" }
        if let rngState { text += "rng \(rngState)\n" }
        return SHA256.hex(text.utf8)
    }

    /// One line for users when the file carries no checksums, or some parts without one (nil
    /// when everything read was verified): damage to those parts would go unnoticed.
    public func integrityWarning(path: String) -> String? {
        guard let first = withoutChecksum.first else { return nil }
        let total = parameters.count + buffers.count + (optimizerState?.count ?? 0) + 1
        if withoutChecksum.count >= total {
            return "\(path) carries no checksums (written by an older Pixelwise or another tool): damage to it cannot be detected; `pixelwise inspect --add-checksums FILE` adds them"
        }
        let more = withoutChecksum.count > 1 ? " and \(withoutChecksum.count - 1) more carry" : " carries"
        return "\(path): \(first)\(more) no checksum: damage there cannot be detected"
    }
}
