// libpng's simplified png_image API (the classic API needs setjmp, which Swift cannot use).
#include <png.h>
