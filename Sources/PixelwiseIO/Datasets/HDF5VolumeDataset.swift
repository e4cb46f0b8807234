import PixelwiseCore

/// Raw and label volumes stored as HDF5 datasets (CREMI style), written `FILE.h5:/dataset`, e.g.
/// `sample_A.h5:/volumes/raw` with `sample_A.h5:/volumes/labels/membranes`. Slice i of the raw
/// volume [D,H,W] is labelled by slice i of the label volume; a 2-D dataset [H,W] is one slice.
///
/// Raw sample type (which fixes the normalisation): `HDF5Volume.sampleType(path:dataset:)` —
/// 8/16-bit integer datasets are uint8/uint16, others go by their values.
public struct HDF5VolumeDataset: SegmentationDataset {
    public let rawReference: String
    public let labelReference: String
    public let slices: [(raw: Image, labels: Image)]
    public var labelMap: LabelMap
    public var normalisation: RawNormalisation

    /// Splits `file.h5:/path/in/file` into the file and the dataset path; nil for anything else.
    public static func reference(_ s: String) -> (path: String, dataset: String)? {
        for suffix in [".h5:", ".hdf5:", ".hdf:"] {
            if let range = s.range(of: suffix) {
                let path = String(s[..<range.lowerBound]) + suffix.dropLast()
                let dataset = String(s[range.upperBound...])
                return dataset.isEmpty ? nil : (path, dataset.hasPrefix("/") ? dataset : "/" + dataset)
            }
        }
        return nil
    }

    public init(raw: String, labels: String, labelMap: LabelMap, normalisation: RawNormalisation = RawNormalisation()) throws {
        rawReference = raw
        labelReference = labels
        self.labelMap = labelMap
        self.normalisation = normalisation
        let rawSlices = try HDF5VolumeDataset.slices(raw), labelSlices = try HDF5VolumeDataset.slices(labels)
        guard rawSlices.count == labelSlices.count,
              rawSlices.first.map({ ($0.width, $0.height) }) ?? (0, 0) == labelSlices.first.map({ ($0.width, $0.height) }) ?? (0, 0) else {
            let r = rawSlices.first.map { "\(rawSlices.count)×\($0.height)×\($0.width)" } ?? "empty"
            let l = labelSlices.first.map { "\(labelSlices.count)×\($0.height)×\($0.width)" } ?? "empty"
            throw PixelwiseError.file(path: raw, problem: "volume is \(r) but \(labels) is \(l)")
        }
        slices = Array(zip(rawSlices, labelSlices))
    }

    /// The slices of a referenced volume as grey images.
    public static func slices(_ reference: String) throws -> [Image] {
        guard let (path, dataset) = HDF5VolumeDataset.reference(reference) else {
            throw PixelwiseError.file(path: reference, problem: "not an HDF5 dataset reference (write FILE.h5:/dataset)")
        }
        let (shape, values) = try HDF5Volume.read(path: path, dataset: dataset)
        let (depth, height, width) = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
        let type = try HDF5Volume.sampleType(path: path, dataset: dataset) { values }  // no second read
        return (0..<depth).map { z in
            Image(width: width, height: height, channels: 1, sampleType: type,
                  pixels: Array(values[(z * width * height)..<((z + 1) * width * height)]))
        }
    }

    public var count: Int { slices.count }

    public func sample(_ index: Int) throws -> Sample {
        try normalisation.sample(raw: slices[index].raw, rawName: "\(rawReference)[\(index)]", labels: slices[index].labels,
                                 labelName: "\(labelReference)[\(index)]", labelMap: labelMap)
    }

    public func loadAll() throws -> [Sample] { try (0..<count).map(sample) }
}
