#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHDF5
import Foundation
import PixelwiseCore

/// An HDF5 dataset (`FILE.h5:/PATH`) read and written a box at a time by hyperslab: chunked
/// datasets (HDF5 decompresses only the chunks a box meets) and contiguous ones alike. Axes as
/// for zarr: (y, x), (z, y, x) or (c, z, y, x).
///
/// Writing builds a chunked, deflate-compressed dataset in a temporary copy of the file in the
/// same folder (a new file, or a copy of the existing one so its other datasets are kept);
/// `finish()` closes it and renames it over the file, so readers never see a half-written file
/// and a writer dropped without `finish()` leaves nothing. HDF5 does the read-modify-write of
/// partly covered chunks itself; one process writes a file (several processes: zarr or N5).
public final class HDF5ChunkedVolume: VolumeReading, VolumeWriting, @unchecked Sendable {
    public let file: String
    public let dataset: String
    public let geometry: VolumeGeometry
    /// Dataset dims, slowest first.
    public let shape: [Int]
    /// The chunk dims, nil for a contiguous dataset.
    public let chunkShape: [Int]?
    public let dataType: ChunkDataType
    /// The dataset's filters in words ("deflate level 4", "shuffle", "fletcher32", …).
    public let filters: [String]

    public var name: String { "\(file):\(dataset)" }
    public var chunkSize: [Int]? { chunkShape.map { Array((Array(repeating: 1, count: 4 - $0.count) + $0).suffix(3)) } }

    private var fileID: hid_t
    private var datasetID: hid_t
    /// Keeps a file opened for reading open (its `close` runs on deinit).
    private let reader: HDF5File?
    /// The temporary file a writer fills, renamed over `file` by `finish()`.
    private let temporary: String?

    /// Opens dataset `dataset` of the HDF5 file at `file` for reading.
    public init(reading file: String, dataset: String) throws {
        self.file = file
        self.dataset = HDF5File.normalised(dataset)
        let handle = try HDF5File(reading: file)
        reader = handle
        temporary = nil
        fileID = handle.id
        let path = self.dataset
        datasetID = try HDF5Library.locked {
            switch handle.kind(of: path) {
            case .dataset: break
            case .missing:
                let listed = (try? handle.datasetPaths().joined(separator: ", ")) ?? ""
                throw PixelwiseError.file(path: file, problem: "no dataset \(path)" + (listed.isEmpty ? "" : " (its datasets: \(listed))"))
            case .group, .other: throw PixelwiseError.file(path: file, problem: "\(path) is a group, not a dataset")
            case .damaged: throw PixelwiseError.file(path: file, problem: "cannot open dataset \(path): damaged file")
            }
            let opened = H5Dopen2(handle.id, path, pw_h5p_default())
            guard opened >= 0 else { throw PixelwiseError.file(path: file, problem: "cannot open dataset \(path): damaged or truncated file") }
            return opened
        }
        (shape, chunkShape, dataType, filters) = try HDF5ChunkedVolume.describe(datasetID, file: file, path: path)
        geometry = try HDF5ChunkedVolume.geometry(shape, dataType, spacing: HDF5ChunkedVolume.resolution(of: datasetID),
                                                  name: "\(file):\(path)")
    }

    /// Creates a chunked dataset (deflate `level`, 0 for none) in a temporary copy of `file`.
    init(creating file: String, dataset: String, geometry: VolumeGeometry, chunkShape: [Int], dataType: ChunkDataType,
         level: Int, fillValue: Float) throws {
        self.file = file
        self.dataset = HDF5File.normalised(dataset)
        guard self.dataset != "/" else { throw PixelwiseError.invalidArgument("\(file): name the dataset to write, FILE.h5:/PATH") }
        let shape = geometry.channels > 1 ? [geometry.channels] + geometry.size : geometry.size
        self.shape = shape
        self.chunkShape = chunkShape
        self.dataType = dataType.with(bigEndian: false)
        self.geometry = VolumeGeometry(channels: geometry.channels, size: geometry.size, spacing: geometry.spacing,
                                       sampleType: dataType.sampleType)
        filters = level > 0 ? ["deflate level \(level)"] : []
        reader = nil
        let slash = file.lastIndex(of: "/")
        let folder = slash.map { String(file[..<$0]) } ?? "."
        let base = slash.map { String(file[file.index(after: $0)...]) } ?? file
        let temporary = (slash == nil ? "" : folder + "/") + ".\(base).\(getpid())-\(UInt32.random(in: .min ... .max)).tmp"
        self.temporary = temporary
        if FileManager.default.fileExists(atPath: file) {
            _ = try HDF5File(reading: file)  // the same checks and errors as any HDF5 reader
            do { try FileManager.default.copyItem(atPath: file, toPath: temporary) } catch {
                throw PixelwiseError.file(path: file, problem: "cannot copy the file to add a dataset to it: \(error.localizedDescription)")
            }
            fileID = HDF5Library.locked { H5Fopen(temporary, pw_h5f_acc_rdwr(), pw_h5p_default()) }
        } else {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw PixelwiseError.file(path: file, problem: "cannot create: folder \(folder) does not exist")
            }
            fileID = HDF5Library.locked { H5Fcreate(temporary, pw_h5f_acc_trunc(), pw_h5p_default(), pw_h5p_default()) }
        }
        datasetID = -1
        guard fileID >= 0 else {
            unlink(temporary)
            throw PixelwiseError.file(path: file, problem: "cannot create the HDF5 file (is the folder writable?)")
        }
        let path = self.dataset, fid = fileID, memory = HDF5ChunkedVolume.memoryType(self.dataType.kind)
        datasetID = try HDF5Library.locked {
            if H5Lexists(fid, path, pw_h5p_default()) > 0 { H5Ldelete(fid, path, pw_h5p_default()) }
            var dims = shape.map { hsize_t($0) }
            var chunks = chunkShape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), &dims, nil)
            defer { H5Sclose(space) }
            let dcpl = H5Pcreate(pw_h5p_dataset_create())
            defer { H5Pclose(dcpl) }
            var fill = fillValue
            let lcpl = H5Pcreate(pw_h5p_link_create())
            defer { H5Pclose(lcpl) }
            H5Pset_create_intermediate_group(lcpl, 1)
            guard H5Pset_chunk(dcpl, Int32(chunks.count), &chunks) >= 0, level <= 0 || H5Pset_deflate(dcpl, UInt32(level)) >= 0,
                  H5Pset_fill_value(dcpl, pw_h5t_native_float(), &fill) >= 0 else {
                throw PixelwiseError.file(path: file, problem: "cannot set up chunks \(Shape(chunkShape)) for dataset \(path)")
            }
            let created = H5Dcreate2(fid, path, memory, space, lcpl, dcpl, pw_h5p_default())
            guard created >= 0 else { throw PixelwiseError.file(path: file, problem: "cannot create dataset \(path) (a dataset on the way?)") }
            // The voxel spacing as CREMI files carry it: a float64 "resolution" attribute, (z, y, x).
            var three: hsize_t = 3
            var spacing = geometry.spacing
            let attributeSpace = H5Screate_simple(1, &three, nil)
            defer { H5Sclose(attributeSpace) }
            let attribute = H5Acreate2(created, "resolution", pw_h5t_native_double(), attributeSpace, pw_h5p_default(), pw_h5p_default())
            guard attribute >= 0, H5Awrite(attribute, pw_h5t_native_double(), &spacing) >= 0 else {
                if attribute >= 0 { H5Aclose(attribute) }
                H5Dclose(created)
                throw PixelwiseError.file(path: file, problem: "cannot write the resolution of dataset \(path)")
            }
            H5Aclose(attribute)
            return created
        }
    }

    deinit {
        HDF5Library.locked {
            if datasetID >= 0 { H5Dclose(datasetID) }
            if temporary != nil, fileID >= 0 { H5Fclose(fileID) }
        }
        if let temporary, fileID >= 0 { unlink(temporary) }
    }

    // MARK: - Reading

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("\(name): box \(box) lies outside the volume \(Shape(geometry.size))")
        }
        let (start, count) = hyperslab(box)
        let n = Int(count.reduce(1, *))
        let wide = !dataType.isFloat && dataType.size > 2
        return try HDF5Library.locked {
            try requireOpen()
            let (file, memory) = try selection(start, count)
            defer { H5Sclose(file); H5Sclose(memory) }
            if wide {
                var values = [Int64](repeating: 0, count: n)
                let type = dataType.isSigned ? pw_h5t_native_int64() : pw_h5t_native_uint64()
                guard H5Dread(datasetID, type, memory, file, pw_h5p_default(), &values) >= 0 else { throw readError(box) }
                return try values.map { stored in
                    let magnitude = dataType.isSigned ? stored.magnitude : UInt64(bitPattern: stored)
                    guard magnitude <= 1 << 24 else {
                        throw PixelwiseError.file(path: self.file, problem: "dataset \(dataset) holds the value \(dataType.isSigned ? String(stored) : String(magnitude)), beyond float32's exact integers (2^24 = 16777216); relabel it to consecutive ids")
                    }
                    return dataType.isSigned ? Float(stored) : Float(magnitude)
                }
            }
            var values = [Float](repeating: 0, count: n)
            guard H5Dread(datasetID, pw_h5t_native_float(), memory, file, pw_h5p_default(), &values) >= 0 else { throw readError(box) }
            return values
        }
    }

    private func readError(_ box: VoxelBox) -> PixelwiseError {
        .file(path: file, problem: "cannot read \(box) of dataset \(dataset): damaged or truncated file (a chunk that does not decompress or fails its checksum)")
    }

    // MARK: - Writing

    public func write(_ values: [Float], at box: VoxelBox) throws {
        guard temporary != nil else { throw PixelwiseError.file(path: file, problem: "opened for reading, cannot write") }
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("\(name): box \(box) lies outside the volume \(Shape(geometry.size))")
        }
        guard values.count == geometry.channels * box.voxels else {
            throw PixelwiseError.invalidArgument("\(name): \(values.count) values for box \(box) with \(geometry.channels) channel(s)")
        }
        let (start, count) = hyperslab(box)
        let bytes = dataType.bytes(from: values)
        try HDF5Library.locked {
            try requireOpen()
            let (file, memory) = try selection(start, count)
            defer { H5Sclose(file); H5Sclose(memory) }
            errno = 0
            let status = bytes.withUnsafeBytes {
                H5Dwrite(datasetID, HDF5ChunkedVolume.memoryType(dataType.kind), memory, file, pw_h5p_default(), $0.baseAddress)
            }
            guard status >= 0 else {
                throw PixelwiseError.file(path: self.file, problem: "cannot write \(box) of dataset \(dataset): \(HDF5File.writeProblem(errno))")
            }
        }
    }

    /// Closes the dataset and the file and renames the file into place.
    public func finish() throws {
        guard let temporary else { return }
        try HDF5Library.locked {
            try requireOpen()
            H5Dclose(datasetID)
            datasetID = -1
            errno = 0
            let flushed = H5Fflush(fileID, H5F_SCOPE_GLOBAL)
            let code = errno
            let closed = H5Fclose(fileID)
            fileID = -1
            guard flushed >= 0, closed >= 0 else {
                unlink(temporary)
                throw PixelwiseError.file(path: file, problem: "cannot write the file: \(HDF5File.writeProblem(code == 0 ? errno : code))")
            }
        }
        let descriptor = open(temporary, O_RDONLY)
        if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        guard rename(temporary, file) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileBytes.failure(file, code)
        }
    }

    // MARK: - Helpers

    private func requireOpen() throws {
        guard fileID >= 0, datasetID >= 0 else { throw PixelwiseError.file(path: file, problem: "dataset \(dataset) is closed (finished)") }
    }

    /// Start and count of `box` (all channels) in the dataset's own rank.
    private func hyperslab(_ box: VoxelBox) -> (start: [hsize_t], count: [hsize_t]) {
        let start = [0] + box.origin, count = [geometry.channels] + box.size
        return (start.suffix(shape.count).map { hsize_t($0) }, count.suffix(shape.count).map { hsize_t($0) })
    }

    /// File and memory dataspaces for a hyperslab (lock held); close both.
    private func selection(_ start: [hsize_t], _ count: [hsize_t]) throws -> (hid_t, hid_t) {
        let space = H5Dget_space(datasetID)
        guard space >= 0 else { throw PixelwiseError.file(path: file, problem: "cannot read the shape of \(dataset): damaged file") }
        var start = start, count = count
        guard H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil) >= 0 else {
            H5Sclose(space)
            throw PixelwiseError.file(path: file, problem: "cannot select a box of \(dataset)")
        }
        let memory = H5Screate_simple(Int32(count.count), &count, nil)
        return (space, memory)
    }

    static func memoryType(_ kind: ChunkDataType.Kind) -> hid_t {
        switch kind {
        case .uint8: pw_h5t_native_uint8()
        case .int8: pw_h5t_native_int8()
        case .uint16: pw_h5t_native_uint16()
        case .int16: pw_h5t_native_int16()
        case .uint32: pw_h5t_native_uint32()
        case .int32: pw_h5t_native_int32()
        case .uint64: pw_h5t_native_uint64()
        case .int64: pw_h5t_native_int64()
        case .float32: pw_h5t_native_float()
        case .float64: pw_h5t_native_double()
        }
    }

    /// Shape, chunks, element type and filters of an open dataset.
    private static func describe(_ dataset: hid_t, file: String, path: String) throws
        -> (shape: [Int], chunks: [Int]?, type: ChunkDataType, filters: [String])
    {
        try HDF5Library.locked {
            func fail(_ problem: String) -> PixelwiseError { .file(path: file, problem: "dataset \(path): \(problem)") }
            let space = H5Dget_space(dataset)
            guard space >= 0 else { throw fail("cannot read its shape (damaged file)") }
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard (2...4).contains(rank) else { throw fail("a \(rank)-D dataset is not an image or volume (expected (y, x), (z, y, x) or (c, z, y, x))") }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space, &dims, nil)
            let type = H5Dget_type(dataset)
            defer { H5Tclose(type) }
            let size = H5Tget_size(type)
            let kind: ChunkDataType.Kind
            switch (H5Tget_class(type), size, H5Tget_sign(type) == H5T_SGN_2) {
            case (H5T_INTEGER, 1, false): kind = .uint8
            case (H5T_INTEGER, 1, true): kind = .int8
            case (H5T_INTEGER, 2, false): kind = .uint16
            case (H5T_INTEGER, 2, true): kind = .int16
            case (H5T_INTEGER, 4, false): kind = .uint32
            case (H5T_INTEGER, 4, true): kind = .int32
            case (H5T_INTEGER, 8, false): kind = .uint64
            case (H5T_INTEGER, 8, true): kind = .int64
            case (H5T_FLOAT, 4, _): kind = .float32
            case (H5T_FLOAT, 8, _): kind = .float64
            default: throw fail("holds neither integers nor floats of 1–8 bytes")
            }
            let dcpl = H5Dget_create_plist(dataset)
            defer { H5Pclose(dcpl) }
            var chunks: [Int]? = nil
            if H5Pget_layout(dcpl) == H5D_CHUNKED {
                var chunkDims = [hsize_t](repeating: 0, count: rank)
                if H5Pget_chunk(dcpl, Int32(rank), &chunkDims) == rank { chunks = chunkDims.map { Int(clamping: $0) } }
            }
            var filters: [String] = []
            for index in 0..<max(0, Int(H5Pget_nfilters(dcpl))) {
                var flags: UInt32 = 0, count = 8, config: UInt32 = 0
                var values = [UInt32](repeating: 0, count: 8)
                var name = [CChar](repeating: 0, count: 64)
                let id = H5Pget_filter2(dcpl, UInt32(index), &flags, &count, &values, 64, &name, &config)
                switch id {
                case H5Z_filter_t(H5Z_FILTER_DEFLATE): filters.append("deflate level \(count > 0 ? values[0] : 6)")
                case H5Z_filter_t(H5Z_FILTER_SHUFFLE): filters.append("shuffle")
                case H5Z_filter_t(H5Z_FILTER_FLETCHER32): filters.append("fletcher32")
                default: filters.append(String(cString: name).isEmpty ? "filter \(id)" : String(cString: name))
                }
            }
            let shape = dims.map { Int(clamping: $0) }
            guard let elements = ChunkedArray.checkedProduct(shape), elements <= 1 << 52 else { throw fail("has an impossible shape \(Shape(shape))") }
            return (shape, chunks, ChunkDataType(kind), filters)
        }
    }

    private static func geometry(_ shape: [Int], _ type: ChunkDataType, spacing: [Double]?, name: String) throws -> VolumeGeometry {
        guard shape.allSatisfy({ $0 > 0 }) else { throw PixelwiseError.file(path: name, problem: "empty dataset \(Shape(shape))") }
        let padded = Array(repeating: 1, count: 4 - shape.count) + shape
        return VolumeGeometry(channels: padded[0], size: Array(padded.suffix(3)), spacing: spacing ?? [1, 1, 1], sampleType: type.sampleType)
    }

    /// A dataset's "resolution" attribute (z, y, x; the last three of a longer one, [1, …] before
    /// a shorter one), nil when it has none or it is not 1–4 numbers.
    private static func resolution(of dataset: hid_t) -> [Double]? {
        HDF5Library.locked {
            guard H5Aexists(dataset, "resolution") > 0 else { return nil }
            let attribute = H5Aopen(dataset, "resolution", pw_h5p_default())
            guard attribute >= 0 else { return nil }
            defer { H5Aclose(attribute) }
            let space = H5Aget_space(attribute)
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            guard (1...4).contains(count) else { return nil }
            var values = [Double](repeating: 1, count: count)
            guard H5Aread(attribute, pw_h5t_native_double(), &values) >= 0, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
            return Array(([1, 1, 1] + values).suffix(3))
        }
    }

    /// One line for `pixelwise inspect`.
    var summary: String {
        "HDF5 dataset \(dataset) \(Shape(shape)), " + (chunkShape.map { "chunks \(Shape($0))" } ?? "contiguous") + ", \(dataType.kind.rawValue)"
            + (filters.isEmpty ? "" : ", " + filters.joined(separator: ", "))
    }
}
