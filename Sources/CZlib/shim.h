// zlib's gz* stream API: NIfTI volumes are read and written as `.nii.gz` through it (see
// docs/nifti.md for why Pixelwise parses NIfTI itself rather than using libnifti2).
#include <zlib.h>
