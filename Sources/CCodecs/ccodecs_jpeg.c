// libjpeg behind setjmp. The default error_exit prints and calls exit(); ours records the
// formatted message and longjmps back to the function that started the work.
#include <setjmp.h>
#include <stdio.h>  // jpeglib.h needs FILE
#include <stdlib.h>

#include <jerror.h>
#include <jpeglib.h>

#include "ccodecs_internal.h"

// A progressive file may legally hold thousands of tiny scans, each a full pass over the
// coefficients: a few kilobytes could then take minutes to decode. Real encoders use ~10.
#define MAX_SCANS 256

typedef struct {
    struct jpeg_error_mgr base;  // first member: libjpeg only sees a jpeg_error_mgr pointer
    jmp_buf jump;
    ccodecs_error *error;
    int ran_out_of_data;  // libjpeg padded a truncated file with a fake EOI and carried on
} error_handler;

static void on_error_exit(j_common_ptr cinfo) {
    error_handler *handler = (error_handler *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    ccodecs_set_message(handler->error, text);
    longjmp(handler->jump, 1);
}

// Level -1 messages are warnings about damaged data that libjpeg works around; higher
// levels are trace output. Nothing is printed, but truncation is remembered.
static void on_message(j_common_ptr cinfo, int level) {
    error_handler *handler = (error_handler *)cinfo->err;
    if (level >= 0) return;
    handler->base.num_warnings++;
    if (handler->base.msg_code == JWRN_JPEG_EOF) handler->ran_out_of_data = 1;
}

static struct jpeg_error_mgr *install_error_handler(error_handler *handler, ccodecs_error *error) {
    jpeg_std_error(&handler->base);
    handler->base.error_exit = on_error_exit;
    handler->base.emit_message = on_message;
    handler->error = error;
    handler->ran_out_of_data = 0;
    return &handler->base;
}

static void limit_scans(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
        error_handler *handler = (error_handler *)cinfo->err;
        ccodecs_set_message(handler->error, "too many progressive scans");
        longjmp(handler->jump, 1);
    }
}

static ccodecs_status read_jpeg(const unsigned char *data, size_t size, int want_pixels,
                                uint64_t max_pixels, ccodecs_image *out, ccodecs_error *error) {
    ccodecs_reset_image(out, error);
    struct jpeg_decompress_struct cinfo;
    error_handler handler;
    struct jpeg_progress_mgr progress = {.progress_monitor = limit_scans};
    cinfo.err = install_error_handler(&handler, error);

    if (setjmp(handler.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(out->pixels);
        out->pixels = NULL;
        return CCODECS_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);  // errors out on an empty buffer
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        ccodecs_set_message(error, "no image in JPEG data");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_CORRUPT;
    }
    // libjpeg has already rejected zero sizes and sides above 65500.
    out->width = (int)cinfo.image_width;
    out->height = (int)cinfo.image_height;
    if (!want_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_OK;
    }
    if ((uint64_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        ccodecs_set_message(error, "image has more pixels than allowed");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_TOO_LARGE;
    }

    ccodecs_layout layout;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        layout = CCODECS_LAYOUT_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:  // libjpeg converts YCCK to CMYK
        cinfo.out_color_space = JCS_CMYK;
        // Adobe applications write CMYK inverted and mark such files with an APP14 segment.
        layout = cinfo.saw_Adobe_marker ? CCODECS_LAYOUT_CMYK_INVERTED : CCODECS_LAYOUT_CMYK;
        break;
    default:
        ccodecs_set_message(error, "unsupported JPEG color space");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_UNSUPPORTED;
    }

    jpeg_start_decompress(&cinfo);  // progressive files are read completely here
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    out->pixels = malloc(row_bytes * cinfo.output_height);
    if (!out->pixels) {
        ccodecs_set_message(error, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->pixels + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    if (handler.ran_out_of_data) {
        ccodecs_set_message(error, "file is truncated");
        jpeg_destroy_decompress(&cinfo);
        free(out->pixels);
        out->pixels = NULL;
        return CCODECS_CORRUPT;
    }
    // No jpeg_finish_decompress: it only reads on to the EOI marker, and trailing damage
    // after the last scan should not reject a complete image.
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->layout = layout;
    jpeg_destroy_decompress(&cinfo);
    return CCODECS_OK;
}

ccodecs_status ccodecs_jpeg_probe(const unsigned char *data, size_t size, ccodecs_image *out,
                                  ccodecs_error *error) {
    return read_jpeg(data, size, 0, 0, out, error);
}

ccodecs_status ccodecs_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                                   ccodecs_image *out, ccodecs_error *error) {
    return read_jpeg(data, size, 1, max_pixels, out, error);
}

// A destination manager writing into a ccodecs_buffer. jpeg_mem_dest is not used because,
// after an error, it leaves the caller unable to tell which of its buffers to free.
typedef struct {
    struct jpeg_destination_mgr base;  // first member: libjpeg only sees this part
    ccodecs_buffer *out;
} buffer_destination;

static void expose_free_space(j_compress_ptr cinfo, unsigned long wanted) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    ccodecs_buffer *out = destination->out;
    if (!ccodecs_buffer_reserve(out, wanted)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    destination->base.next_output_byte = out->data + out->size;
    destination->base.free_in_buffer = out->capacity - out->size;
}

static void init_destination(j_compress_ptr cinfo) { expose_free_space(cinfo, 16384); }

// Called when the exposed space is completely full.
static boolean empty_output_buffer(j_compress_ptr cinfo) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    destination->out->size = destination->out->capacity;
    expose_free_space(cinfo, destination->out->capacity);
    return TRUE;
}

static void term_destination(j_compress_ptr cinfo) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    destination->out->size = destination->out->capacity - destination->base.free_in_buffer;
}

ccodecs_status ccodecs_jpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                                   ccodecs_buffer *out, ccodecs_error *error) {
    ccodecs_reset_buffer(out, error);
    if (!rgb || width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION) {
        ccodecs_set_message(error, "invalid image dimensions for JPEG");
        return CCODECS_INVALID_ARGUMENT;
    }
    struct jpeg_compress_struct cinfo;
    error_handler handler;
    buffer_destination destination = {
        .base = {.init_destination = init_destination,
                 .empty_output_buffer = empty_output_buffer,
                 .term_destination = term_destination},
        .out = out,
    };
    cinfo.err = install_error_handler(&handler, error);
    if (setjmp(handler.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(out->data);
        out->data = NULL;
        out->size = out->capacity = 0;
        return CCODECS_NO_MEMORY;  // arguments were checked above; only allocation can fail
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &destination.base;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
    cinfo.optimize_coding = TRUE;
    if (quality >= 90) {
        // Full-resolution chroma: at high quality, 4:2:0 subsampling is the largest error.
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        // libjpeg takes non-const rows but only reads them.
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return CCODECS_OK;
}
