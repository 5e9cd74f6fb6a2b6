/* SPDX-License-Identifier: MIT */
/* Keyset cursors: the sort key of the last row of a page, opaque to clients. */
#include <string.h>

#include "guestd/base64url.h"
#include "guestd/cursor.h"

#define SEP '\x1f'

bool gd_cursor_encode(const struct gd_cursor *c, char out[static GD_CURSOR_MAX_LEN])
{
        char raw[GD_CURSOR_MAX_FIELDS * 65];
        size_t len = 0;
        for (size_t i = 0; i < c->n && i < GD_CURSOR_MAX_FIELDS; i++) {
                size_t fl = strnlen(c->fields[i], sizeof(c->fields[i]));
                if (i > 0)
                        raw[len++] = SEP;
                memcpy(raw + len, c->fields[i], fl);
                len += fl;
        }
        if ((len + 2) / 3 * 4 + 1 > GD_CURSOR_MAX_LEN)
                return false;
        gd_base64url_encode((const uint8_t *) raw, len, out);
        return true;
}

bool gd_cursor_decode(const char *s, size_t expected_fields, struct gd_cursor *ret)
{
        uint8_t raw[GD_CURSOR_MAX_LEN];
        size_t len;
        if (!s || strlen(s) >= GD_CURSOR_MAX_LEN || expected_fields == 0 ||
            expected_fields > GD_CURSOR_MAX_FIELDS || !gd_base64url_decode(s, raw, sizeof(raw) - 1, &len))
                return false;
        struct gd_cursor c = {0};
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && raw[i] == '\0')
                        return false;
                if (i == len || raw[i] == SEP) {
                        size_t fl = i - start;
                        if (c.n >= GD_CURSOR_MAX_FIELDS || fl >= sizeof(c.fields[0]))
                                return false;
                        memcpy(c.fields[c.n], raw + start, fl);
                        c.fields[c.n][fl] = '\0';
                        c.n++;
                        start = i + 1;
                }
        }
        if (c.n != expected_fields)
                return false;
        *ret = c;
        return true;
}
