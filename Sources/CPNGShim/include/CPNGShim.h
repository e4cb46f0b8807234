// Whole-file PNG decode/encode on libpng's classic API, with errors turned into return codes.
//
// Why not the simplified png_image API: it treats 16-bit data as linear light and premultiplies
// alpha ("PNG_FORMAT_FLAG_LINEAR"), and converts 8-bit files with a gAMA chunk to sRGB, so 16-bit
// grey+alpha and RGBA files would not read back the values they store. The classic API reads the
// stored samples untouched, but reports errors by longjmp — which Swift cannot catch — so the
// setjmp lives here.
#ifndef PIXELWISE_CPNGSHIM_H
#define PIXELWISE_CPNGSHIM_H

#include <stddef.h>

/// A decoded PNG: rows top to bottom, channels interleaved (1 grey, 2 grey+alpha, 3 RGB,
/// 4 RGBA), 8- or 16-bit samples; 16-bit samples are in the host's byte order.
typedef struct {
    int width;
    int height;
    int channels;
    /// 8 or 16.
    int bitDepth;
    /// malloc'd, width * height * channels * bitDepth / 8 bytes; release with pw_png_free.
    void *pixels;
} PWPNGRaster;

/// Decodes the file at `path`. Palette images expand to RGB (RGBA if they have a tRNS chunk),
/// 1/2/4-bit grey expands to 8-bit, a tRNS chunk becomes an alpha channel; no gamma correction.
/// Returns 0 on success; otherwise non-zero, `out->pixels` is NULL and `message` holds the reason.
int pw_png_read(const char *path, PWPNGRaster *out, char *message, size_t messageSize);

/// Encodes `pixels` (layout as in PWPNGRaster, host byte order) into `path`.
/// Returns 0 on success; otherwise non-zero with the reason in `message`.
int pw_png_write(const char *path, const void *pixels, int width, int height, int channels,
                 int bitDepth, char *message, size_t messageSize);

/// Releases pixels returned by pw_png_read.
void pw_png_free(void *pixels);

#endif
