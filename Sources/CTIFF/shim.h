// libtiff. TIFFGetField/TIFFSetField are C-variadic, which Swift cannot call: typed wrappers
// live here, one per argument shape. Error and warning handlers are per handle (libtiff ≥ 4.5
// TIFFOpenOptions), so concurrent readers never share a message buffer and nothing reaches stderr.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <tiffio.h>

/// The first error libtiff reported on one handle (empty if none).
typedef struct {
    char text[256];
} PWTIFFMessage;

static inline int pw_tiff_capture_error(TIFF *tif, void *user, const char *module, const char *format,
                                        va_list arguments) {
    (void)tif;
    (void)module;
    PWTIFFMessage *message = (PWTIFFMessage *)user;
    if (message != NULL && message->text[0] == 0)
        vsnprintf(message->text, sizeof message->text, format, arguments);
    return 1; // handled: libtiff must not also call the global handler
}

static inline int pw_tiff_drop_warning(TIFF *tif, void *user, const char *module, const char *format,
                                       va_list arguments) {
    (void)tif;
    (void)user;
    (void)module;
    (void)format;
    (void)arguments;
    return 1;
}

/// Silences the process-wide handlers, which libtiff still uses for messages it raises before a
/// handle exists. Call once before the first open.
static inline void pw_tiff_silence_global_handlers(void) {
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

/// TIFFOpen with errors captured into `message` and warnings dropped. `mode` as for TIFFOpen
/// ("r", "w", "wb" big-endian, "wl" little-endian, …).
static inline TIFF *pw_tiff_open(const char *path, const char *mode, PWTIFFMessage *message) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (options == NULL) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, pw_tiff_capture_error, message);
    TIFFOpenOptionsSetWarningHandlerExtR(options, pw_tiff_drop_warning, NULL);
    TIFF *tif = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    return tif;
}

static inline int pw_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value) {
    return TIFFGetFieldDefaulted(tif, tag, value);
}
static inline int pw_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value) {
    return TIFFGetFieldDefaulted(tif, tag, value);
}
static inline int pw_tiff_get_colormap(TIFF *tif, uint16_t **red, uint16_t **green, uint16_t **blue) {
    return TIFFGetField(tif, TIFFTAG_COLORMAP, red, green, blue);
}
static inline int pw_tiff_get_extra_samples(TIFF *tif, uint16_t *count, uint16_t **kinds) {
    return TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, count, kinds);
}

/// uint16 tags travel through varargs as int (libtiff reads them with va_arg(ap, int)).
static inline int pw_tiff_set_u16(TIFF *tif, uint32_t tag, uint16_t value) {
    return TIFFSetField(tif, tag, (int)value);
}
static inline int pw_tiff_set_u32(TIFF *tif, uint32_t tag, uint32_t value) {
    return TIFFSetField(tif, tag, value);
}
static inline int pw_tiff_set_extra_samples(TIFF *tif, uint16_t count, const uint16_t *kinds) {
    return TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, (int)count, kinds);
}
static inline int pw_tiff_set_string(TIFF *tif, uint32_t tag, const char *value) {
    return TIFFSetField(tif, tag, value);
}
/// An ASCII tag (ImageDescription, …): libtiff's own copy, valid until the directory changes.
static inline int pw_tiff_get_string(TIFF *tif, uint32_t tag, const char **value) {
    return TIFFGetField(tif, tag, value);
}
/// A RATIONAL tag that libtiff hands out as float (XResolution, YResolution).
static inline int pw_tiff_get_float(TIFF *tif, uint32_t tag, float *value) {
    return TIFFGetField(tif, tag, value);
}
/// A RATIONAL tag (XResolution, YResolution): libtiff takes it through varargs as a double.
static inline int pw_tiff_set_rational(TIFF *tif, uint32_t tag, double value) {
    return TIFFSetField(tif, tag, value);
}
