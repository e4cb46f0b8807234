// See include/CJPEGShim.h. The setjmp lives here because Swift cannot call it.
#include "CJPEGShim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/// libjpeg's error manager plus our escape hatch. `base` must come first: libjpeg hands the
/// callbacks a pointer to it, which we cast back to the whole struct.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char *message;
    size_t messageSize;
} ErrorManager;

static void fail(j_common_ptr info) {
    ErrorManager *manager = (ErrorManager *)info->err;
    char text[JMSG_LENGTH_MAX];
    manager->base.format_message(info, text);
    snprintf(manager->message, manager->messageSize, "%s", text);
    longjmp(manager->escape, 1);
}

/// Warnings and trace messages are dropped, except those libjpeg gives for data that ends early
/// (the file, or an entropy-coded segment cut by a marker): it would otherwise pad the image with
/// grey and report success, even for a few hundred bytes that claim 100 megapixels.
static void emit(j_common_ptr info, int level) {
    if (level < 0 && (info->err->msg_code == JWRN_JPEG_EOF || info->err->msg_code == JWRN_HIT_MARKER)) fail(info);
}

static void silence(j_common_ptr info) { (void)info; }

static void install(ErrorManager *manager, char *message, size_t messageSize) {
    jpeg_std_error(&manager->base);
    manager->base.error_exit = fail;
    manager->base.emit_message = emit;
    manager->base.output_message = silence;
    manager->message = message;
    manager->messageSize = messageSize;
}

/// One CMYK row (4 bytes per pixel) to RGB. Adobe writes inverted CMYK, which libjpeg returns as
/// is, so there R = C·K/255; plain CMYK gives R = (255−C)(255−K)/255.
static void cmykToRGB(const unsigned char *cmyk, unsigned char *rgb, size_t width, int inverted) {
    for (size_t x = 0; x < width; x++) {
        unsigned c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[3 * x] = (unsigned char)((c * k + 127) / 255);
        rgb[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
        rgb[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

int pw_jpeg_read(const char *path, PWJPEGRaster *out, char *message, size_t messageSize) {
    memset(out, 0, sizeof *out);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(message, messageSize, "cannot open: %s", strerror(errno));
        return 1;
    }
    struct jpeg_decompress_struct info;
    ErrorManager manager;
    install(&manager, message, messageSize);
    info.err = &manager.base;
    // Written after setjmp and read after longjmp: must be volatile to survive it.
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile cmykRow = NULL;
    if (setjmp(manager.escape)) {
        jpeg_destroy_decompress(&info);
        fclose(file);
        free(pixels);
        free(cmykRow);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    if (info.jpeg_color_space == JCS_GRAYSCALE) info.out_color_space = JCS_GRAYSCALE;
    else if (cmyk) info.out_color_space = JCS_CMYK;
    else info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);

    size_t width = info.output_width, height = info.output_height;
    int channels = cmyk ? 3 : info.output_components;
    // JPEG cannot store more than a few hundred samples per byte (an 8×8 block of one component
    // takes at least ~2 bits): a file that claims far more is damaged or hostile. Refuse it before
    // allocating the raster (which would otherwise be gigabytes for a tiny file; found by fuzz-jpeg).
    struct stat fileInfo;
    if (fstat(fileno(file), &fileInfo) == 0 &&
        (double)width * (double)height * (double)info.num_components > 4096.0 * (double)fileInfo.st_size + 65536.0) {
        snprintf(message, messageSize, "%zu×%zu pixels cannot be stored in %lld bytes: damaged file",
                 width, height, (long long)fileInfo.st_size);
        longjmp(manager.escape, 1);
    }
    pixels = malloc(width * height * (size_t)channels);
    if (cmyk) cmykRow = malloc(width * 4);
    if (pixels == NULL || (cmyk && cmykRow == NULL)) {
        snprintf(message, messageSize, "out of memory for %zu×%zu pixels", width, height);
        longjmp(manager.escape, 1);
    }
    while (info.output_scanline < height) {
        size_t y = info.output_scanline;
        JSAMPROW row = cmyk ? cmykRow : pixels + y * width * (size_t)channels;
        if (jpeg_read_scanlines(&info, &row, 1) != 1) {
            snprintf(message, messageSize, "could not decode row %zu", y);
            longjmp(manager.escape, 1);
        }
        if (cmyk) cmykToRGB(cmykRow, pixels + y * width * 3, width, info.saw_Adobe_marker);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    fclose(file);
    free(cmykRow);
    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->pixels = pixels;
    return 0;
}

int pw_jpeg_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                  int quality, char *message, size_t messageSize) {
    if (channels != 1 && channels != 3) {
        snprintf(message, messageSize, "JPEG stores 1 or 3 channels, not %d", channels);
        return 1;
    }
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        snprintf(message, messageSize, "cannot create: %s", strerror(errno));
        return 1;
    }
    struct jpeg_compress_struct info;
    ErrorManager manager;
    install(&manager, message, messageSize);
    info.err = &manager.base;
    if (setjmp(manager.escape)) {
        jpeg_destroy_compress(&info);
        fclose(file);
        return 1;
    }
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t rowBytes = (size_t)width * (size_t)channels;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + info.next_scanline * rowBytes);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    int writeFailed = ferror(file);
    if (fclose(file) != 0 || writeFailed) {
        snprintf(message, messageSize, "write failed: %s", strerror(errno));
        return 1;
    }
    return 0;
}

void pw_jpeg_free(unsigned char *pixels) { free(pixels); }
