// Whole-file JPEG decode/encode with libjpeg's errors turned into return codes.
//
// libjpeg reports a fatal error by calling `error_exit`, whose default prints to stderr and calls
// exit(). The only way back from a replacement is longjmp, and Swift cannot call setjmp, so these
// two functions own the setjmp and hand Swift a status code and libjpeg's message instead.
#ifndef PIXELWISE_CJPEGSHIM_H
#define PIXELWISE_CJPEGSHIM_H

#include <stddef.h>

/// A decoded JPEG: 8-bit samples, rows top to bottom, channels interleaved (1 = grey, 3 = RGB).
typedef struct {
    int width;
    int height;
    int channels;
    /// malloc'd, width * height * channels bytes; release with pw_jpeg_free.
    unsigned char *pixels;
} PWJPEGRaster;

/// Decodes the file at `path`. Grey files stay grey; YCbCr becomes RGB; CMYK/YCCK (Adobe) is
/// converted to RGB. Returns 0 on success; otherwise non-zero, `out->pixels` is NULL and `message`
/// holds the reason. A truncated file ("Premature end of JPEG file") is an error, not a warning.
int pw_jpeg_read(const char *path, PWJPEGRaster *out, char *message, size_t messageSize);

/// Encodes `pixels` (width * height * channels bytes, channels 1 or 3) at `quality` (1...100)
/// into `path`. Returns 0 on success; otherwise non-zero with the reason in `message`.
int pw_jpeg_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                  int quality, char *message, size_t messageSize);

/// Releases pixels returned by pw_jpeg_read.
void pw_jpeg_free(unsigned char *pixels);

#endif
