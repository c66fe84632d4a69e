// Helpers shared by the PNG and JPEG halves of the shim; not part of the public header.
#ifndef CCODECS_INTERNAL_H
#define CCODECS_INTERNAL_H

#include "ccodecs.h"

/// Copies `text` into the error's fixed-size message, truncating if needed.
void ccodecs_set_message(ccodecs_error *error, const char *text);

/// Makes room for `additional` more bytes after `buffer->size`, growing geometrically.
/// Returns 0 when memory runs out (the buffer is then left as it was).
int ccodecs_buffer_reserve(ccodecs_buffer *buffer, unsigned long additional);

/// Empties `out` and clears the message, so every exit path starts from a known state.
void ccodecs_reset_image(ccodecs_image *out, ccodecs_error *error);
void ccodecs_reset_buffer(ccodecs_buffer *out, ccodecs_error *error);

#endif
