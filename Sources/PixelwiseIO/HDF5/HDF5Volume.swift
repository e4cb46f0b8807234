import PixelwiseCore

/// A raw or label volume stored as one HDF5 dataset, the way CREMI and many EM data sets ship
/// them ("/volumes/raw" uint8 [D,H,W], "/volumes/labels/neuron_ids" uint64 [D,H,W]).
public struct HDF5Volume {
    /// Label ids above this magnitude cannot all be told apart in float32 (24-bit significand).
    public static let largestExactInteger: Int64 = 1 << 24

    /// Reads dataset `dataset` of the file at `path`: shape [D,H,W] (a stack of D slices) or
    /// [H,W], values in row-major order converted to float with their stored values (0…255
    /// for uint8 raw data; label ids as they are).
    ///
    /// Integer datasets wider than 16 bits are read as 64-bit integers and checked: an id above
    /// 2²⁴ would be rounded to a neighbouring id as float32, silently merging two objects, so it
    /// is an error instead (relabel the volume to consecutive ids first).
    public static func read(path: String, dataset: String) throws -> (shape: [Int], values: [Float]) {
        let file = try HDF5File(reading: path)
        defer { file.close() }
        let shape = try file.shape(at: dataset)
        guard shape.count == 2 || shape.count == 3 else {
            throw PixelwiseError.file(path: path, problem: "dataset \(HDF5File.normalised(dataset)) has shape \(Shape(shape)), expected [D,H,W] or [H,W]")
        }
        return (shape, try floats(in: file, path: path, dataset: dataset, plane: nil))
    }

    /// The values of the whole dataset (`plane` nil) or of one plane of a [D,H,W] dataset, as
    /// floats; integers wider than 16 bits are read as 64-bit and checked for exactness.
    static func floats(in file: HDF5File, path: String, dataset: String, plane: Int?) throws -> [Float] {
        func load<E: HDF5Element>(_ type: E.Type) throws -> [E] {
            if let plane { return try file.readPlane(type, at: dataset, index: plane) }
            return try file.read(type, at: dataset).values
        }
        switch try file.integerLayout(at: dataset) {
        case let (bytes, signed)? where bytes > 2 && signed:
            let values = try load(Int64.self)
            try checkExact(values.lazy.map { $0.magnitude }, path: path, dataset: dataset)
            return values.map { Float($0) }
        case let (bytes, _)? where bytes > 2:
            let values = try load(UInt64.self)
            try checkExact(values.lazy, path: path, dataset: dataset)
            return values.map { Float($0) }
        default:
            return try load(Float.self)
        }
    }

    static func checkExact<S: Sequence>(_ magnitudes: S, path: String, dataset: String) throws
        where S.Element == UInt64
    {
        let largest = magnitudes.max() ?? 0
        if largest > UInt64(largestExactInteger) {
            throw PixelwiseError.file(path: path, problem: "dataset \(HDF5File.normalised(dataset)) holds the value \(largest), beyond float32's exact integers (2^24 = 16777216); relabel it to consecutive ids")
        }
    }
}
