// CCodecs: a small C shim over libpng and libjpeg.
//
// Both libraries report fatal errors by longjmp-ing out of their own code, which Swift
// cannot survive, and libjpeg's default error handler even calls exit(). Every function
// here owns its jump buffer, turns such errors into a status code plus a message, and
// never prints anything. Output buffers are malloc'd; release them with ccodecs_free.
#ifndef CCODECS_H
#define CCODECS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CCODECS_OK = 0,
    CCODECS_CORRUPT = 1,      // malformed or truncated data
    CCODECS_TOO_LARGE = 2,    // header dimensions exceed the caller's pixel budget
    CCODECS_UNSUPPORTED = 3,  // valid file, but a variant we do not decode
    CCODECS_NO_MEMORY = 4,
    CCODECS_INVALID_ARGUMENT = 5,
} ccodecs_status;

typedef struct {
    char message[200];  // NUL-terminated; empty on success
} ccodecs_error;

/// How the bytes of a decoded pixel buffer are laid out.
typedef enum {
    CCODECS_LAYOUT_RGB = 0,            // 3 bytes per pixel
    CCODECS_LAYOUT_RGBA = 1,           // 4 bytes per pixel, straight (non-premultiplied) alpha
    CCODECS_LAYOUT_CMYK = 2,           // 4 bytes per pixel, 0 = no ink
    CCODECS_LAYOUT_CMYK_INVERTED = 3,  // 4 bytes per pixel, 255 = no ink (Adobe / Photoshop)
} ccodecs_layout;

typedef struct {
    int width;
    int height;
    ccodecs_layout layout;
    unsigned char *pixels;  // malloc'd, row-major, width * height * bytes per pixel; NULL for probes
} ccodecs_image;

typedef struct {
    unsigned char *data;  // malloc'd encoded file
    unsigned long size;
    unsigned long capacity;  // bookkeeping for the growing PNG writer
} ccodecs_buffer;

/// Reads only the header; fills width and height of `out` and leaves pixels NULL.
ccodecs_status ccodecs_png_probe(const unsigned char *data, size_t size,
                                 ccodecs_image *out, ccodecs_error *error);
/// Decodes any PNG to 8-bit RGB, or RGBA when the file carries alpha (alpha channel or tRNS).
/// Fails with CCODECS_TOO_LARGE before allocating pixels when width * height > max_pixels.
ccodecs_status ccodecs_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                  ccodecs_image *out, ccodecs_error *error);
/// Encodes 8-bit interleaved RGB. `level`: zlib level 0…9, or -1 for libpng's default (6);
/// `filters`: PNG_FILTER_* flags (0x08 none, 0x10 sub, 0x20 up, 0x40 average, 0x80 Paeth;
/// several: libpng picks one per row), or 0 for libpng's default (all of them).
ccodecs_status ccodecs_png_encode(const unsigned char *rgb, int width, int height, int level, int filters,
                                  ccodecs_buffer *out, ccodecs_error *error);

ccodecs_status ccodecs_jpeg_probe(const unsigned char *data, size_t size,
                                  ccodecs_image *out, ccodecs_error *error);
/// Decodes to RGB (gray and YCbCr files) or to CMYK (CMYK and YCCK files); EXIF orientation
/// is not applied here. A file that ends before all scanlines are read fails as CORRUPT.
ccodecs_status ccodecs_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                   ccodecs_image *out, ccodecs_error *error);
/// Encodes 8-bit interleaved RGB; quality is clamped to 1...100.
ccodecs_status ccodecs_jpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                                   ccodecs_buffer *out, ccodecs_error *error);

void ccodecs_free(void *pointer);

#endif
