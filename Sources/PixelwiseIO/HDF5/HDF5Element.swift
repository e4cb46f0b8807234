import CHDF5

/// The numeric element types Pixelwise reads from and writes to HDF5 datasets.
///
/// In the file every type is stored little-endian (`H5T_IEEE_F32LE`, `H5T_STD_U8LE`, …) so that a
/// file is byte-for-byte the same on every machine; in memory it is the native type, and HDF5
/// converts between the two (a no-op on little-endian machines, hence bit-exact round trips).
public enum HDF5NumericType: String, Sendable, CaseIterable {
    case uint8, uint16, int32, int64, uint64, float32, float64

    /// The in-memory (native) HDF5 type.
    var memoryType: hid_t {
        switch self {
        case .uint8: pw_h5t_native_uint8()
        case .uint16: pw_h5t_native_uint16()
        case .int32: pw_h5t_native_int32()
        case .int64: pw_h5t_native_int64()
        case .uint64: pw_h5t_native_uint64()
        case .float32: pw_h5t_native_float()
        case .float64: pw_h5t_native_double()
        }
    }

    /// The on-disk HDF5 type.
    var fileType: hid_t {
        switch self {
        case .uint8: pw_h5t_std_u8le()
        case .uint16: pw_h5t_std_u16le()
        case .int32: pw_h5t_std_i32le()
        case .int64: pw_h5t_std_i64le()
        case .uint64: pw_h5t_std_u64le()
        case .float32: pw_h5t_ieee_f32le()
        case .float64: pw_h5t_ieee_f64le()
        }
    }
}

/// A Swift type that can be an HDF5 dataset element.
public protocol HDF5Element: Sendable {
    static var hdf5Type: HDF5NumericType { get }
}

extension UInt8: HDF5Element { public static var hdf5Type: HDF5NumericType { .uint8 } }
extension UInt16: HDF5Element { public static var hdf5Type: HDF5NumericType { .uint16 } }
extension Int32: HDF5Element { public static var hdf5Type: HDF5NumericType { .int32 } }
extension Int64: HDF5Element { public static var hdf5Type: HDF5NumericType { .int64 } }
extension UInt64: HDF5Element { public static var hdf5Type: HDF5NumericType { .uint64 } }
extension Float: HDF5Element { public static var hdf5Type: HDF5NumericType { .float32 } }
extension Double: HDF5Element { public static var hdf5Type: HDF5NumericType { .float64 } }
