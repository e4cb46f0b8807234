// HDF5's C API. Its type and flag "constants" are macros that call H5open(); Swift cannot import
// them, so each one used by Pixelwise is wrapped in a static inline function here.
#include <hdf5.h>

static inline hid_t pw_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t pw_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t pw_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t pw_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t pw_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t pw_h5t_c_s1(void) { return H5T_C_S1; }
static inline unsigned pw_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned pw_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned pw_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t pw_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t pw_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t pw_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t pw_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t pw_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t pw_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t pw_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
// File (on-disk) types: little-endian, fixed, so a file is the same on every machine.
static inline hid_t pw_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t pw_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t pw_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t pw_h5t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t pw_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t pw_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t pw_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline size_t pw_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t pw_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t pw_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t pw_h5s_all(void) { return H5S_ALL; }
/// Turns off HDF5's automatic printing of its error stack: Pixelwise reports errors itself.
static inline herr_t pw_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline hid_t pw_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t pw_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
