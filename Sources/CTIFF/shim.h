// libtiff. TIFFGetField/TIFFSetField are C-variadic; typed wrappers live here.
#include <tiffio.h>
