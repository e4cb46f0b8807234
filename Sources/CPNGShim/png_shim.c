// See include/CPNGShim.h. The setjmp lives here because Swift cannot call it.
#include "CPNGShim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

/// Where libpng's error callback jumps to, and where it leaves the message.
typedef struct {
    jmp_buf escape;
    char *message;
    size_t messageSize;
} Escape;

static void fail(png_structp png, png_const_charp text) {
    Escape *escape = (Escape *)png_get_error_ptr(png);
    snprintf(escape->message, escape->messageSize, "%s", text);
    longjmp(escape->escape, 1);
}

/// Warnings (unknown chunks, bad ancillary CRCs, …) do not affect the pixels: drop them.
static void ignore(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static int hostIsLittleEndian(void) {
    uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

int pw_png_read(const char *path, PWPNGRaster *out, char *message, size_t messageSize) {
    memset(out, 0, sizeof *out);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(message, messageSize, "cannot open: %s", strerror(errno));
        return 1;
    }
    Escape escape = {.message = message, .messageSize = messageSize};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &escape, fail, ignore);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        snprintf(message, messageSize, "out of memory");
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        return 1;
    }
    // Written after setjmp and read after longjmp: must be volatile to survive it.
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(escape.escape)) {
        // libpng says only "Read Error" when fread comes up short; at end of file that means truncated.
        if (feof(file)) snprintf(message, messageSize, "truncated: the file ends before the image data does");
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        free(pixels);
        free(rows);
        return 1;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    png_uint_32 width, height;
    int depth, colorType;
    png_get_IHDR(png, info, &width, &height, &depth, &colorType, NULL, NULL, NULL);
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colorType == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16 && hostIsLittleEndian()) png_set_swap(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int outDepth = png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    pixels = malloc(rowBytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        snprintf(message, messageSize, "out of memory for %u×%u pixels", width, height);
        longjmp(escape.escape, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * rowBytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    free(rows);
    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->bitDepth = outDepth;
    out->pixels = pixels;
    return 0;
}

int pw_png_write(const char *path, const void *pixels, int width, int height, int channels,
                 int bitDepth, char *message, size_t messageSize) {
    static const int colorTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bitDepth != 8 && bitDepth != 16)) {
        snprintf(message, messageSize, "PNG stores 1–4 channels of 8 or 16 bits, not %d of %d",
                 channels, bitDepth);
        return 1;
    }
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        snprintf(message, messageSize, "cannot create: %s", strerror(errno));
        return 1;
    }
    Escape escape = {.message = message, .messageSize = messageSize};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &escape, fail, ignore);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        snprintf(message, messageSize, "out of memory");
        png_destroy_write_struct(&png, NULL);
        fclose(file);
        return 1;
    }
    if (setjmp(escape.escape)) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bitDepth, colorTypes[channels - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bitDepth == 16 && hostIsLittleEndian()) png_set_swap(png);
    size_t rowBytes = (size_t)width * (size_t)channels * (size_t)(bitDepth / 8);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)pixels + (size_t)y * rowBytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    int writeFailed = ferror(file);
    if (fclose(file) != 0 || writeFailed) {
        snprintf(message, messageSize, "write failed: %s", strerror(errno));
        return 1;
    }
    return 0;
}

void pw_png_free(void *pixels) { free(pixels); }
