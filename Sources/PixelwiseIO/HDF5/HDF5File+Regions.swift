import CHDF5
import PixelwiseCore

/// Reading a box of an N-dimensional dataset (a hyperslab), so that a volume is read a block at
/// a time, and numeric attributes (voxel spacing: CREMI's `resolution`, Fiji/ilastik's
/// `element_size_um`).
extension HDF5File {
    /// The values of the region `start ..< start + count` of a dataset (one entry per axis,
    /// row-major), converted to `Element`; reads nothing outside the region.
    func readRegion<Element: HDF5Element>(_: Element.Type, at datasetPath: String, start: [Int], count: [Int]) throws -> [Element] {
        let path = HDF5File.normalised(datasetPath)
        return try HDF5Library.locked {
            let dataset = try openDataset(path)
            defer { H5Dclose(dataset) }
            let shape = try dims(of: dataset, path)
            guard start.count == shape.count, count.count == shape.count,
                  (0..<shape.count).allSatisfy({ start[$0] >= 0 && count[$0] > 0 && start[$0] + count[$0] <= shape[$0] }) else {
                throw fileError("dataset \(path) (shape \(Shape(shape))) has no region from \(start) of size \(count)")
            }
            let space = H5Dget_space(dataset)
            guard space >= 0 else { throw fileError("cannot read the shape of \(path): damaged file") }
            defer { H5Sclose(space) }
            var first = start.map { hsize_t($0) }, size = count.map { hsize_t($0) }
            guard H5Sselect_hyperslab(space, H5S_SELECT_SET, &first, nil, &size, nil) >= 0 else {
                throw fileError("cannot select a region of \(path)")
            }
            let memory = H5Screate_simple(Int32(size.count), &size, nil)
            guard memory >= 0 else { throw fileError("cannot read a region of \(path)") }
            defer { H5Sclose(memory) }
            let n = count.reduce(1, *)
            return try [Element](unsafeUninitializedCapacity: n) { buffer, initialised in
                if H5Dread(dataset, Element.hdf5Type.memoryType, memory, space, pw_h5p_default(), buffer.baseAddress!) < 0 {
                    throw fileError("cannot read the region from \(start) of size \(count) of \(path): damaged or truncated file")
                }
                initialised = n
            }
        }
    }

    /// A numeric attribute of the object at `objectPath` as doubles (every element), or nil when
    /// there is no such attribute or it is not numeric.
    func numericAttribute(_ name: String, at objectPath: String) throws -> [Double]? {
        let path = HDF5File.normalised(objectPath)
        return try HDF5Library.locked {
            try requireOpen()
            guard kind(of: path) == .dataset || kind(of: path) == .group else { return nil }
            let object = H5Oopen(id, path, pw_h5p_default())
            guard object >= 0 else { throw fileError("cannot open \(path): damaged file") }
            defer { H5Oclose(object) }
            guard H5Aexists(object, name) > 0 else { return nil }
            let attribute = H5Aopen(object, name, pw_h5p_default())
            guard attribute >= 0 else { throw fileError("cannot open attribute \(name) on \(path): damaged file") }
            defer { H5Aclose(attribute) }
            let type = H5Aget_type(attribute)
            defer { H5Tclose(type) }
            let typeClass = H5Tget_class(type)
            guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else { return nil }
            let space = H5Aget_space(attribute)
            defer { H5Sclose(space) }
            let n = Int(H5Sget_simple_extent_npoints(space))
            guard n > 0, n <= 64 else { return nil }
            var values = [Double](repeating: 0, count: n)
            guard H5Aread(attribute, pw_h5t_native_double(), &values) >= 0 else {
                throw fileError("cannot read attribute \(name) on \(path): damaged file")
            }
            return values
        }
    }

    /// Writes a numeric attribute (doubles) on an existing dataset or group; for tests and writers.
    func setNumericAttribute(_ name: String, _ values: [Double], at objectPath: String) throws {
        let path = HDF5File.normalised(objectPath)
        try HDF5Library.locked {
            try requireWritable()
            let object = H5Oopen(id, path, pw_h5p_default())
            guard object >= 0 else { throw fileError("no group or dataset \(path)") }
            defer { H5Oclose(object) }
            if H5Aexists(object, name) > 0 { H5Adelete(object, name) }
            var dims = [hsize_t(values.count)]
            let space = H5Screate_simple(1, &dims, nil)
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(object, name, pw_h5t_ieee_f64le(), space, pw_h5p_default(), pw_h5p_default())
            guard attribute >= 0 else { throw fileError("cannot write attribute \(name) on \(path)") }
            defer { H5Aclose(attribute) }
            var copy = values
            guard H5Awrite(attribute, pw_h5t_native_double(), &copy) >= 0 else { throw fileError("cannot write attribute \(name) on \(path)") }
        }
    }
}
