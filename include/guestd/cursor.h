/* SPDX-License-Identifier: MIT */
/* Opaque keyset-pagination cursors: a short list of text fields, base64url-encoded (pure). */
#ifndef GUESTD_CURSOR_H
#define GUESTD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>

#define GD_CURSOR_MAX_FIELDS 4
#define GD_CURSOR_MAX_LEN 256

struct gd_cursor {
        size_t n;
        char fields[GD_CURSOR_MAX_FIELDS][64];
};

/* Encodes the fields ('\x1f'-separated, then base64url without padding). False if too long. */
bool gd_cursor_encode(const struct gd_cursor *c, char out[static GD_CURSOR_MAX_LEN]);

/* Decodes a cursor made by gd_cursor_encode and checks it has exactly `expected_fields` fields. */
bool gd_cursor_decode(const char *s, size_t expected_fields, struct gd_cursor *ret);

#endif
