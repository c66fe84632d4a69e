// libpng behind setjmp: every libpng error lands in on_error, which records the message and
// longjmps back to the setjmp in the function that started the work.
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "ccodecs_internal.h"

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} memory_source;

static void read_from_memory(png_structp png, png_bytep destination, size_t length) {
    memory_source *source = png_get_io_ptr(png);
    if (length > source->size - source->offset) png_error(png, "file is truncated");
    memcpy(destination, source->data + source->offset, length);
    source->offset += length;
}

static void write_to_buffer(png_structp png, png_bytep bytes, size_t length) {
    ccodecs_buffer *out = png_get_io_ptr(png);
    if (!ccodecs_buffer_reserve(out, length)) png_error(png, "out of memory");
    memcpy(out->data + out->size, bytes, length);
    out->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

static void on_error(png_structp png, png_const_charp message) {
    ccodecs_set_message(png_get_error_ptr(png), message);
    png_longjmp(png, 1);
}

// Warnings (bad ancillary chunks, CRC errors in them) are recoverable; stay silent.
static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static ccodecs_status read_png(const unsigned char *data, size_t size, int want_pixels,
                               uint64_t max_pixels, ccodecs_image *out, ccodecs_error *error) {
    ccodecs_reset_image(out, error);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        ccodecs_set_message(error, "not a PNG file");
        return CCODECS_CORRUPT;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        ccodecs_set_message(error, "out of memory");
        return CCODECS_NO_MEMORY;
    }
    memory_source source = {data, size, 0};
    png_bytep *volatile rows = NULL;  // assigned after setjmp, freed after longjmp

    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(out->pixels);
        out->pixels = NULL;
        png_destroy_read_struct(&png, &info, NULL);
        return CCODECS_CORRUPT;
    }
    png_set_read_fn(png, &source, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    // libpng has already rejected zero sizes and sides above its 1,000,000 user limit.
    out->width = (int)width;
    out->height = (int)height;
    if (!want_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        return CCODECS_OK;
    }
    if ((uint64_t)width * height > max_pixels) {
        ccodecs_set_message(error, "image has more pixels than allowed");
        png_destroy_read_struct(&png, &info, NULL);
        return CCODECS_TOO_LARGE;
    }

    int color_type = png_get_color_type(png, info);
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    size_t channels = has_alpha ? 4 : 3;
    png_set_expand(png);  // palette -> RGB, 1/2/4-bit gray -> 8-bit, tRNS -> alpha channel
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);  // png_read_image then de-interlaces all Adam7 passes
    png_read_update_info(png, info);
    size_t row_bytes = (size_t)width * channels;
    if (png_get_rowbytes(png, info) != row_bytes) png_error(png, "unexpected pixel layout");

    out->pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!out->pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = out->pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    // No png_read_end: chunks after the image data cannot change the pixels, and a file
    // missing only its trailing IEND is still a complete picture.

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->layout = has_alpha ? CCODECS_LAYOUT_RGBA : CCODECS_LAYOUT_RGB;
    return CCODECS_OK;
}

ccodecs_status ccodecs_png_probe(const unsigned char *data, size_t size, ccodecs_image *out,
                                 ccodecs_error *error) {
    return read_png(data, size, 0, 0, out, error);
}

ccodecs_status ccodecs_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                  ccodecs_image *out, ccodecs_error *error) {
    return read_png(data, size, 1, max_pixels, out, error);
}

ccodecs_status ccodecs_png_encode(const unsigned char *rgb, int width, int height, int level, int filters,
                                  ccodecs_buffer *out, ccodecs_error *error) {
    ccodecs_reset_buffer(out, error);
    if (!rgb || width <= 0 || height <= 0) {
        ccodecs_set_message(error, "invalid image dimensions");
        return CCODECS_INVALID_ARGUMENT;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        ccodecs_set_message(error, "out of memory");
        return CCODECS_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(out->data);
        out->data = NULL;
        out->size = out->capacity = 0;
        return CCODECS_INVALID_ARGUMENT;
    }
    png_set_write_fn(png, out, write_to_buffer, flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (level >= 0 && level <= 9) png_set_compression_level(png, level);
    if (filters & PNG_ALL_FILTERS) png_set_filter(png, PNG_FILTER_TYPE_BASE, filters & PNG_ALL_FILTERS);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * (size_t)width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return CCODECS_OK;
}
