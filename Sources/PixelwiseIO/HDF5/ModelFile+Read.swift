import PixelwiseCore

extension ModelFile {
    /// Reads a model file written by `write(to:)` (or by any tool that follows the layout).
    ///
    /// Fails with a one-line `PixelwiseError.file` when the file is missing, is not HDF5, is
    /// damaged, is not a Pixelwise model (no or another "format" attribute), is of a newer
    /// version, or lacks a required attribute or group.
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
        guard let architecture = try file.stringAttribute("architecture") else {
            throw fail("missing attribute \"architecture\" on /")
        }
        guard file.exists("/params") else { throw fail("no group /params") }

        var model = ModelFile(architecture: architecture,
                              parameters: try readTensors(in: "params", of: file),
                              buffers: file.exists("/buffers") ? try readTensors(in: "buffers", of: file) : [])
        if file.exists("/optimizer") {
            model.optimizerState = try readTensors(in: "optimizer", of: file, except: ["/optimizer/step"])
            model.optimizerDescription = try file.stringAttribute("optimizer", at: "/optimizer")
            if file.exists("/optimizer/step") {
                let step = try file.read(Int64.self, at: "/optimizer/step", integersOnly: true).values
                guard step.count == 1 else { throw fail("/optimizer/step holds \(step.count) values, expected 1") }
                model.optimizerStep = Int(step[0])
            }
        }
        if file.exists("/trainer") {
            model.trainerState = try file.stringAttribute("state", at: "/trainer")
            if file.exists("/trainer/rng") { model.rngState = try file.readUInt64s(at: "/trainer/rng") }
        }
        return model
    }

    /// Every dataset below `/group`, as (dotted name, tensor) sorted by name.
    private static func readTensors(in group: String, of file: HDF5File, except excluded: Set<String> = [])
        throws -> [(name: String, value: Tensor)]
    {
        try file.datasetPaths(under: "/" + group)
            .filter { !excluded.contains($0) }
            .map { (name: name(ofDatasetPath: $0, group: group), value: try file.readTensor(at: $0)) }
            .sorted { $0.name < $1.name }
    }
}
