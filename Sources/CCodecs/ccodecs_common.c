#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccodecs_internal.h"

void ccodecs_set_message(ccodecs_error *error, const char *text) {
    snprintf(error->message, sizeof error->message, "%s", text);
}

int ccodecs_buffer_reserve(ccodecs_buffer *buffer, unsigned long additional) {
    if (additional <= buffer->capacity - buffer->size) return 1;
    unsigned long capacity = buffer->capacity ? buffer->capacity : 16384;
    while (capacity - buffer->size < additional) {
        if (capacity > (unsigned long)-1 / 2) return 0;
        capacity *= 2;
    }
    unsigned char *grown = realloc(buffer->data, capacity);
    if (!grown) return 0;
    buffer->data = grown;
    buffer->capacity = capacity;
    return 1;
}

void ccodecs_reset_image(ccodecs_image *out, ccodecs_error *error) {
    out->width = 0;
    out->height = 0;
    out->layout = CCODECS_LAYOUT_RGB;
    out->pixels = NULL;
    error->message[0] = '\0';
}

void ccodecs_reset_buffer(ccodecs_buffer *out, ccodecs_error *error) {
    out->data = NULL;
    out->size = 0;
    out->capacity = 0;
    error->message[0] = '\0';
}

void ccodecs_free(void *pointer) { free(pointer); }
