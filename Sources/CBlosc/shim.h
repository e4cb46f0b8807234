// c-blosc 1.x (Debian's libblosc-dev): the blosc codec of zarr v2/v3 and N5 chunks
// (blosclz, lz4, lz4hc, zlib, zstd inside; byte and bit shuffle). See docs/chunked.md.
#include <blosc.h>
