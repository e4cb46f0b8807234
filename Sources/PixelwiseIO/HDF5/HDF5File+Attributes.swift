import CHDF5
import PixelwiseCore

/// String attributes on groups and datasets: where a model file keeps its format marker and its
/// JSON descriptions. Written as scalar variable-length UTF-8 strings (what h5py writes for
/// `obj.attrs["name"] = "text"` and returns as `str`); read from variable- or fixed-length strings.
extension HDF5File {
    /// Sets attribute `name` on the group or dataset at `objectPath` to `value`, replacing any
    /// earlier value. A missing object is created as a group (with its intermediate groups).
    public func setAttribute(_ name: String, _ value: String, at objectPath: String = "/") throws {
        try writeStringAttribute(name, value, at: objectPath, fixedLength: false)
    }

    /// The string attribute `name` on the object at `objectPath`, or nil if it has no such attribute.
    /// Throws if the object is missing or the attribute is not a single string.
    public func stringAttribute(_ name: String, at objectPath: String = "/") throws -> String? {
        let path = HDF5File.normalised(objectPath)
        return try HDF5Library.locked {
            try requireOpen()
            switch kind(of: path) {
            case .missing: throw fileError("no group or dataset \(path)")
            case .damaged: throw fileError("cannot open \(path): damaged file")
            case .group, .dataset, .other: break
            }
            let object = H5Oopen(id, path, pw_h5p_default())
            guard object >= 0 else { throw fileError("cannot open \(path): damaged file") }
            defer { H5Oclose(object) }
            let exists = H5Aexists(object, name)
            guard exists >= 0 else { throw fileError("cannot read the attributes of \(path): damaged file") }
            guard exists > 0 else { return nil }
            let attribute = H5Aopen(object, name, pw_h5p_default())
            guard attribute >= 0 else { throw fileError("cannot open attribute \(name) on \(path): damaged file") }
            defer { H5Aclose(attribute) }
            let type = H5Aget_type(attribute)
            defer { H5Tclose(type) }
            let space = H5Aget_space(attribute)
            defer { H5Sclose(space) }
            guard H5Tget_class(type) == H5T_STRING, H5Sget_simple_extent_npoints(space) == 1 else {
                throw fileError("attribute \(name) on \(path) is not a single string")
            }
            let text = H5Tis_variable_str(type) > 0
                ? readVariableString(attribute, cset: H5Tget_cset(type))
                : readFixedString(attribute, type)
            guard let text else { throw fileError("cannot read attribute \(name) on \(path): damaged file") }
            return text
        }
    }

    /// Writes a scalar string attribute, variable-length or (for tests and for files meant for
    /// tools that only read fixed-length strings) fixed-length, NUL-padded, UTF-8.
    func writeStringAttribute(_ name: String, _ value: String, at objectPath: String, fixedLength: Bool) throws {
        let path = HDF5File.normalised(objectPath)
        try HDF5Library.locked {
            try requireWritable()
            switch kind(of: path) {
            case .missing: try createGroupLocked(path)
            case .group, .dataset, .other: break
            case .damaged: throw fileError("cannot open \(path): the file is damaged there")
            }
            let object = H5Oopen(id, path, pw_h5p_default())
            guard object >= 0 else { throw fileError("cannot open \(path)") }
            defer { H5Oclose(object) }
            if H5Aexists(object, name) > 0 { H5Adelete(object, name) }

            let utf8 = Array(value.utf8)
            let type = H5Tcopy(pw_h5t_c_s1())
            defer { H5Tclose(type) }
            H5Tset_cset(type, H5T_CSET_UTF8)
            if fixedLength {
                H5Tset_size(type, max(utf8.count, 1))
                H5Tset_strpad(type, H5T_STR_NULLPAD)
            } else {
                H5Tset_size(type, pw_h5t_variable())
            }
            let space = H5Screate(H5S_SCALAR)
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(object, name, type, space, pw_h5p_default(), pw_h5p_default())
            guard attribute >= 0 else { throw fileError("cannot create attribute \(name) on \(path)") }
            defer { H5Aclose(attribute) }
            let status: herr_t
            if fixedLength {
                let padded = utf8.isEmpty ? [0] : utf8
                status = H5Awrite(attribute, type, padded)
            } else {
                status = value.withCString { text in
                    var pointer: UnsafePointer<CChar>? = text
                    return H5Awrite(attribute, type, &pointer)
                }
            }
            if status < 0 { throw fileError("cannot write attribute \(name) on \(path)") }
        }
    }

    /// Reads a variable-length string; HDF5 allocates it and we free it with `H5free_memory`.
    private func readVariableString(_ attribute: hid_t, cset: H5T_cset_t) -> String? {
        let memoryType = H5Tcopy(pw_h5t_c_s1())
        defer { H5Tclose(memoryType) }
        H5Tset_size(memoryType, pw_h5t_variable())
        H5Tset_cset(memoryType, cset)
        var pointer: UnsafeMutablePointer<CChar>?
        guard H5Aread(attribute, memoryType, &pointer) >= 0 else { return nil }
        guard let pointer else { return "" }
        defer { H5free_memory(pointer) }
        return String(cString: pointer)
    }

    /// Reads a fixed-length string, dropping the NUL or space padding.
    private func readFixedString(_ attribute: hid_t, _ fileType: hid_t) -> String? {
        let size = H5Tget_size(fileType)
        guard size > 0 else { return nil }
        let memoryType = H5Tcopy(fileType)
        defer { H5Tclose(memoryType) }
        var bytes = [UInt8](repeating: 0, count: size)
        guard H5Aread(attribute, memoryType, &bytes) >= 0 else { return nil }
        var text = bytes.prefix { $0 != 0 }[...]
        if H5Tget_strpad(fileType) == H5T_STR_SPACEPAD {
            while text.last == UInt8(ascii: " ") { text = text.dropLast() }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
