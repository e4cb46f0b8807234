// Zstandard (Debian's libzstd-dev): the zstd codec of zarr v2/v3 and N5 chunks. See docs/chunked.md.
#include <zstd.h>
