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
