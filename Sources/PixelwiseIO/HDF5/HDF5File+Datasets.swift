import CHDF5
import Foundation
import PixelwiseCore

/// Numeric datasets: written as little-endian arrays with dims = shape (row-major, the C/NumPy
/// order, so h5py returns an array of the same shape), read back in any integer or float type
/// with HDF5 doing the conversion.
///
/// A dataset written `checksummed` is stored in chunks through HDF5's Fletcher-32 filter (a
/// checksum per chunk that every HDF5 reader, h5py included, verifies on read, transparently);
/// other datasets are contiguous. Reading a chunk whose checksum fails is an error naming the
/// dataset, never different numbers.
extension HDF5File {
    /// Writes `tensor` as a float32 dataset whose dims are `tensor.shape`, in row-major order
    /// (channels-last tensors are converted first). Replaces an existing dataset at that path.
    public func write(_ tensor: Tensor, at datasetPath: String, checksummed: Bool = false) throws {
        let rowMajor = tensor.inLayout(.rowMajor)
        try rowMajor.withUnsafeBufferPointer {
            try write($0, shape: rowMajor.shape.dims, at: datasetPath, checksummed: checksummed)
        }
    }

    /// Reads an integer or float dataset of any rank as a float32 tensor of the same shape.
    public func readTensor(at datasetPath: String) throws -> Tensor {
        let (shape, values) = try read(Float.self, at: datasetPath)
        return Tensor(shape: Shape(shape), scalars: values)
    }

    /// Writes a one-dimensional uint64 dataset (random-generator state, counters).
    public func write(_ values: [UInt64], at datasetPath: String, checksummed: Bool = false) throws {
        try write(values, shape: [values.count], at: datasetPath, checksummed: checksummed)
    }

    /// Reads an integer dataset of any rank as uint64 values in row-major order.
    public func readUInt64s(at datasetPath: String) throws -> [UInt64] {
        try read(UInt64.self, at: datasetPath, integersOnly: true).values
    }

    /// Writes `values` (row-major, `shape.reduce(1, *)` of them) as a dataset of `Element`'s type.
    /// An empty `shape` writes a scalar dataset holding one value (HDF5 cannot chunk a scalar, so
    /// it carries no checksum even when `checksummed`: store one value as shape [1] to protect it).
    public func write<Element: HDF5Element>(_ values: [Element], shape: [Int], at datasetPath: String,
                                            checksummed: Bool = false) throws {
        try values.withUnsafeBufferPointer { try write($0, shape: shape, at: datasetPath, checksummed: checksummed) }
    }

    /// Whether the dataset at `datasetPath` carries HDF5's Fletcher-32 checksum filter.
    public func isChecksummed(at datasetPath: String) throws -> Bool {
        try HDF5Library.locked {
            let dataset = try openDataset(HDF5File.normalised(datasetPath))
            defer { H5Dclose(dataset) }
            return hasFletcher32(dataset)
        }
    }

    /// The dims of the dataset at `datasetPath` ([] for a scalar dataset).
    public func shape(at datasetPath: String) throws -> [Int] {
        try HDF5Library.locked {
            let dataset = try openDataset(HDF5File.normalised(datasetPath))
            defer { H5Dclose(dataset) }
            return try dims(of: dataset, HDF5File.normalised(datasetPath))
        }
    }

    /// Where the dataset's stored values lie in the file, as byte ranges: one per chunk of a
    /// chunked dataset (filtered bytes as stored, with their checksum), one for a contiguous one.
    /// Tests use it to damage exactly a dataset's data.
    public func storageRanges(at datasetPath: String) throws -> [Range<Int>] {
        let path = HDF5File.normalised(datasetPath)
        return try HDF5Library.locked {
            let dataset = try openDataset(path)
            defer { H5Dclose(dataset) }
            let space = H5Dget_space(dataset)
            defer { H5Sclose(space) }
            var chunks: hsize_t = 0
            if hasChunks(dataset), H5Dget_num_chunks(dataset, space, &chunks) >= 0 {
                return try (0..<chunks).map { index in
                    var offset = [hsize_t](repeating: 0, count: 32)
                    var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
                    guard H5Dget_chunk_info(dataset, space, index, &offset, &mask, &address, &size) >= 0 else {
                        throw fileError("cannot locate chunk \(index) of \(path)")
                    }
                    return Int(address)..<Int(address) + Int(size)
                }
            }
            let address = H5Dget_offset(dataset)
            guard address != haddr_t.max else { return [] }
            return [Int(address)..<Int(address) + Int(H5Dget_storage_size(dataset))]
        }
    }

    /// The paths of every dataset below `groupPath`, at any depth, sorted.
    public func datasetPaths(under groupPath: String = "/") throws -> [String] {
        try HDF5Library.locked {
            try requireOpen()
            let start = HDF5File.normalised(groupPath)
            switch kind(of: start) {
            case .group: break
            case .missing: throw fileError("no group \(start)")
            case .dataset, .other: throw fileError("\(start) is not a group")
            case .damaged: throw fileError("cannot read \(start): damaged file")
            }
            var found: [String] = []
            try collectDatasets(in: start, depth: 0, into: &found)
            return found.sorted()
        }
    }

    // MARK: - Generic read and write

    /// Writes `values` as a dataset of `shape`, creating intermediate groups.
    func write<Element: HDF5Element>(_ values: UnsafeBufferPointer<Element>, shape: [Int], at datasetPath: String,
                                     checksummed: Bool = false) throws {
        let path = HDF5File.normalised(datasetPath)
        guard path != "/" else { throw fileError("cannot write a dataset at /") }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw fileError("\(values.count) values do not fill shape \(Shape(shape)) for \(path)")
        }
        try HDF5Library.locked {
            try requireWritable()
            switch kind(of: path) {
            case .missing: break
            case .group: throw fileError("cannot write dataset \(path): a group is there")
            case .dataset, .other: H5Ldelete(id, path, pw_h5p_default())  // replace
            case .damaged: throw fileError("cannot write dataset \(path): the file is damaged there")
            }
            let dims = shape.map { hsize_t($0) }
            let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dims, nil)
            defer { H5Sclose(space) }
            let lcpl = intermediateGroupsList()
            defer { H5Pclose(lcpl) }
            let type = Element.hdf5Type
            let dcpl = H5Pcreate(pw_h5p_dataset_create())
            defer { H5Pclose(dcpl) }
            if checksummed, !shape.isEmpty, !values.isEmpty {
                var chunk = HDF5File.chunkDims(shape, elementSize: MemoryLayout<Element>.size)
                guard H5Pset_chunk(dcpl, Int32(chunk.count), &chunk) >= 0, H5Pset_fletcher32(dcpl) >= 0 else {
                    throw fileError("cannot set up the checksum filter for dataset \(path)")
                }
            }
            let dataset = H5Dcreate2(id, path, type.fileType, space, lcpl, dcpl, pw_h5p_default())
            guard dataset >= 0 else {
                if let blocker = blockingAncestor(of: path) {
                    throw fileError("cannot create dataset \(path): \(blocker) is a dataset, not a group")
                }
                throw fileError("cannot create dataset \(path)")
            }
            defer { H5Dclose(dataset) }
            guard let base = values.baseAddress, !values.isEmpty else { return }
            errno = 0
            if H5Dwrite(dataset, type.memoryType, pw_h5s_all(), pw_h5s_all(), pw_h5p_default(), base) < 0 {
                throw fileError("cannot write dataset \(path): \(HDF5File.writeProblem(errno))")
            }
        }
    }

    /// Reads a numeric dataset converted to `Element`, with its dims. With `integersOnly`, float
    /// datasets are refused (they would be truncated silently).
    func read<Element: HDF5Element>(_: Element.Type, at datasetPath: String, integersOnly: Bool = false) throws
        -> (shape: [Int], values: [Element])
    {
        let path = HDF5File.normalised(datasetPath)
        return try HDF5Library.locked {
            let dataset = try openDataset(path)
            defer { H5Dclose(dataset) }
            let type = H5Dget_type(dataset)
            defer { H5Tclose(type) }
            let typeClass = H5Tget_class(type)
            guard typeClass == H5T_INTEGER || (typeClass == H5T_FLOAT && !integersOnly) else {
                let what = typeClass == H5T_FLOAT ? "floats" : "non-numeric data"
                throw fileError("dataset \(path) holds \(what), expected \(integersOnly ? "integers" : "numbers")")
            }
            let shape = try dims(of: dataset, path)
            let count = try elementCount(shape, of: Element.self, path)
            let values = try [Element](unsafeUninitializedCapacity: count) { buffer, initialised in
                if count > 0, H5Dread(dataset, Element.hdf5Type.memoryType, pw_h5s_all(), pw_h5s_all(),
                                      pw_h5p_default(), buffer.baseAddress!) < 0 {
                    throw readFailure(dataset, path, into: UnsafeMutableRawPointer(buffer.baseAddress!), Element.hdf5Type.memoryType)
                }
                initialised = count
            }
            return (shape, values)
        }
    }

    /// The integer class of an integer dataset: its size in bytes and signedness, or nil for floats.
    func integerLayout(at datasetPath: String) throws -> (bytes: Int, signed: Bool)? {
        let path = HDF5File.normalised(datasetPath)
        return try HDF5Library.locked {
            let dataset = try openDataset(path)
            defer { H5Dclose(dataset) }
            let type = H5Dget_type(dataset)
            defer { H5Tclose(type) }
            guard H5Tget_class(type) == H5T_INTEGER else { return nil }
            return (H5Tget_size(type), H5Tget_sign(type) == H5T_SGN_2)
        }
    }

    // MARK: - Private helpers (lock held)

    /// Chunk dims for a checksummed dataset: the whole dataset as one chunk (h5py and HDF5 read it
    /// in one piece), halved along the leading dims while it is over 4 MiB (HDF5's limit is 4 GiB
    /// per chunk; smaller chunks also keep a damaged byte's error local).
    static func chunkDims(_ shape: [Int], elementSize: Int) -> [hsize_t] {
        var chunk = shape.map { max($0, 1) }
        let limit = 4 << 20
        for axis in chunk.indices {
            while chunk.reduce(elementSize, *) > limit, chunk[axis] > 1 { chunk[axis] = (chunk[axis] + 1) / 2 }
        }
        return chunk.map { hsize_t($0) }
    }

    private func hasChunks(_ dataset: hid_t) -> Bool {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        return H5Pget_layout(dcpl) == H5D_CHUNKED
    }

    /// Whether `dataset` is stored through the Fletcher-32 filter.
    private func hasFletcher32(_ dataset: hid_t) -> Bool {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        var flags: UInt32 = 0, elements = 0
        var values: UInt32 = 0
        return H5Pget_filter_by_id2(dcpl, H5Z_filter_t(H5Z_FILTER_FLETCHER32), &flags, &elements, &values, 0, nil, nil) >= 0
    }

    /// The error for a failed `H5Dread` of the whole dataset: a checksum mismatch when the data
    /// read without checksum verification (so the bytes are there, but not the ones written),
    /// damage otherwise. The buffer's contents are not used either way.
    private func readFailure(_ dataset: hid_t, _ path: String, into buffer: UnsafeMutableRawPointer, _ memoryType: hid_t) -> PixelwiseError {
        guard hasFletcher32(dataset) else { return fileError("cannot read dataset \(path): damaged or truncated file") }
        let dxpl = H5Pcreate(pw_h5p_dataset_xfer())
        defer { H5Pclose(dxpl) }
        if H5Pset_edc_check(dxpl, H5Z_DISABLE_EDC) >= 0,
           H5Dread(dataset, memoryType, pw_h5s_all(), pw_h5s_all(), dxpl, buffer) >= 0 {
            return fileError("dataset \(path) fails its Fletcher-32 checksum: the file is damaged")
        }
        return fileError("cannot read dataset \(path): damaged or truncated file")
    }

    func openDataset(_ path: String) throws -> hid_t {
        try requireOpen()
        switch kind(of: path) {
        case .dataset: break
        case .missing: throw fileError("no dataset \(path)")
        case .group, .other: throw fileError("\(path) is a group, not a dataset")
        case .damaged: throw fileError("cannot open dataset \(path): damaged file")
        }
        let dataset = H5Dopen2(id, path, pw_h5p_default())
        if dataset < 0 { throw fileError("cannot open dataset \(path): damaged or truncated file") }
        return dataset
    }

    func dims(of dataset: hid_t, _ path: String) throws -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw fileError("cannot read the shape of \(path): damaged file") }
        defer { H5Sclose(space) }
        if H5Sget_simple_extent_type(space) == H5S_NULL { return [0] }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw fileError("cannot read the shape of \(path): damaged file") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0, H5Sget_simple_extent_dims(space, &dims, nil) < 0 {
            throw fileError("cannot read the shape of \(path): damaged file")
        }
        return dims.map { Int(clamping: $0) }
    }

    /// The element count of `shape`, refusing counts that overflow or exceed the machine's
    /// memory (a damaged header must give an error, not a crash in the allocator).
    private func elementCount<Element>(_ shape: [Int], of _: Element.Type, _ path: String) throws -> Int {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fileError("dataset \(path) has an impossible shape \(Shape(shape))") }
            count = product
        }
        let bytes = UInt64(count) * UInt64(MemoryLayout<Element>.stride)
        guard bytes <= ProcessInfo.processInfo.physicalMemory else {
            throw fileError("dataset \(path) with shape \(Shape(shape)) does not fit in memory")
        }
        return count
    }

    /// Depth-first walk by link index. `H5Oopen` + `H5Iget_type` tells groups from datasets
    /// without the callback APIs, whose signatures changed between HDF5 1.10 and 1.12. The depth
    /// limit stops a hard-link cycle (a group linked into its own subtree) from looping forever.
    private func collectDatasets(in group: String, depth: Int, into found: inout [String]) throws {
        guard depth < 64 else { throw fileError("groups nested deeper than 64 below \(group) (a link cycle?)") }
        let handle = H5Gopen2(id, group, pw_h5p_default())
        guard handle >= 0 else { throw fileError("cannot open group \(group): damaged file") }
        defer { H5Gclose(handle) }
        var info = H5G_info_t()
        guard H5Gget_info(handle, &info) >= 0 else { throw fileError("cannot list group \(group): damaged file") }
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(handle, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, pw_h5p_default())
            guard length > 0 else { continue }
            var bytes = [CChar](repeating: 0, count: length + 1)
            H5Lget_name_by_idx(handle, ".", H5_INDEX_NAME, H5_ITER_INC, index, &bytes, length + 1, pw_h5p_default())
            let name = String(decoding: bytes.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let child = group == "/" ? "/" + name : group + "/" + name
            switch kind(of: child) {
            case .dataset: found.append(child)
            case .group: try collectDatasets(in: child, depth: depth + 1, into: &found)
            case .missing, .other: continue  // dangling soft links, named datatypes
            case .damaged: throw fileError("cannot read \(child): damaged file")
            }
        }
    }
}

extension HDF5File {
    /// Reads plane `index` of a [D,H,W] dataset (H·W values, row-major), converted to
    /// `Element`, without reading the rest: a hyperslab selection of one slice, so segmenting a
    /// large volume slice by slice keeps memory flat.
    func readPlane<Element: HDF5Element>(_: Element.Type, at datasetPath: String, index: Int) throws -> [Element] {
        let path = HDF5File.normalised(datasetPath)
        return try HDF5Library.locked {
            let dataset = try openDataset(path)
            defer { H5Dclose(dataset) }
            let shape = try dims(of: dataset, path)
            guard shape.count == 3, (0..<shape[0]).contains(index) else {
                throw fileError("dataset \(path) has no slice \(index) (shape \(Shape(shape)))")
            }
            let space = H5Dget_space(dataset)
            guard space >= 0 else { throw fileError("cannot read the shape of \(path): damaged file") }
            defer { H5Sclose(space) }
            var start: [hsize_t] = [hsize_t(index), 0, 0]
            var count: [hsize_t] = [1, hsize_t(shape[1]), hsize_t(shape[2])]
            guard H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil) >= 0 else {
                throw fileError("cannot select slice \(index) of \(path)")
            }
            var planeDims: [hsize_t] = [hsize_t(shape[1]), hsize_t(shape[2])]
            let memory = H5Screate_simple(2, &planeDims, nil)
            guard memory >= 0 else { throw fileError("cannot read slice \(index) of \(path)") }
            defer { H5Sclose(memory) }
            let n = shape[1] * shape[2]
            return try [Element](unsafeUninitializedCapacity: n) { buffer, initialised in
                if n > 0, H5Dread(dataset, Element.hdf5Type.memoryType, memory, space, pw_h5p_default(), buffer.baseAddress!) < 0 {
                    throw fileError("cannot read slice \(index) of \(path): damaged or truncated file")
                }
                initialised = n
            }
        }
    }
}
