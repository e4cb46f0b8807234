import PixelwiseCore

/// Slice-by-slice access to a volume, for segmenting volumes larger than memory, and the rule
/// that turns a dataset's stored type into an image sample type (which fixes the normalisation:
/// uint8 raw data are divided by 255, uint16 by 65535, floats are taken as already in [0, 1]).
extension HDF5Volume {
    /// The dimensions of a [D,H,W] or [H,W] dataset as (slices, height, width).
    public static func extent(path: String, dataset: String) throws -> (depth: Int, height: Int, width: Int) {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let shape = try file.shape(at: dataset)
        switch shape.count {
        case 3: return (shape[0], shape[1], shape[2])
        case 2: return (1, shape[0], shape[1])
        default:
            throw PixelwiseError.file(path: path, problem: "dataset \(HDF5File.normalised(dataset)) has shape \(Shape(shape)), expected [D,H,W] or [H,W]")
        }
    }

    /// The sample type a dataset's values are read as. 8- and 16-bit integer datasets are uint8
    /// and uint16 data whatever their values (the stored type says what the instrument wrote);
    /// wider integers and floats go by their values over the whole volume: all integers up to
    /// 255 → uint8, up to 65535 → uint16, anything else float32 (taken as already in [0, 1]).
    /// Training and segmentation use this one rule, so a model sees the same normalisation in both.
    public static func sampleType(path: String, dataset: String) throws -> SampleType {
        try sampleType(path: path, dataset: dataset) { try read(path: path, dataset: dataset).values }
    }

    /// The same rule, with the volume's values supplied by the caller when it has them already
    /// (`values` is called only for datasets whose stored type does not decide).
    static func sampleType(path: String, dataset: String, values: () throws -> [Float]) throws -> SampleType {
        let file = try HDF5File(reading: path)
        let layout = try file.integerLayout(at: dataset)
        file.close()
        switch layout?.bytes {
        case 1?: return .uint8
        case 2?: return .uint16
        default: return sampleType(ofValues: try values())
        }
    }

    /// uint8 / uint16 / float32 by the values' range (see `sampleType(path:dataset:)`).
    static func sampleType(ofValues values: [Float]) -> SampleType {
        let integral = values.allSatisfy { $0 >= 0 && $0 == $0.rounded() }
        let largest = values.max() ?? 0
        return integral && largest <= 255 ? .uint8 : integral && largest <= 65535 ? .uint16 : .float32
    }

    /// Slice `index` of the volume as a grey image with `sampleType`; reads only that slice.
    public static func slice(path: String, dataset: String, index: Int, sampleType: SampleType) throws -> Image {
        let (depth, height, width) = try extent(path: path, dataset: dataset)
        guard (0..<depth).contains(index) else {
            throw PixelwiseError.file(path: path, problem: "dataset \(HDF5File.normalised(dataset)) has no slice \(index) (it has \(depth))")
        }
        let file = try HDF5File(reading: path)
        defer { file.close() }
        // A 2-D dataset is its own single slice; a 3-D one is read one plane at a time.
        let plane = try file.shape(at: dataset).count == 3 ? index : nil
        let values = try floats(in: file, path: path, dataset: dataset, plane: plane)
        return Image(width: width, height: height, channels: 1, sampleType: sampleType, pixels: values)
    }
}

extension HDF5Volume {
    /// Slice `index` of an integer [D,H,W] dataset (or the whole of an [H,W] one) as exact 64-bit
    /// ids, reading only that slice; nil when the dataset holds floats. For label volumes whose ids
    /// may exceed float32's exact integers (CREMI `neuron_ids`).
    public static func idSlice(path: String, dataset: String, index: Int) throws -> [UInt64]? {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        guard try file.integerLayout(at: dataset) != nil else { return nil }
        if try file.shape(at: dataset).count == 3 { return try file.readPlane(UInt64.self, at: dataset, index: index) }
        guard index == 0 else {
            throw PixelwiseError.file(path: path, problem: "dataset \(HDF5File.normalised(dataset)) has no slice \(index) (it has 1)")
        }
        return try file.readUInt64s(at: dataset)
    }
}
