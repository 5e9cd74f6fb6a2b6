/* SPDX-License-Identifier: MIT */
/* The shared error record: codes, details and per-field messages. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "guestd/error.h"

/* Text cut to fit a fixed slot may end inside a UTF-8 sequence, and the JSON encoder refuses
 * invalid UTF-8: the problem body would silently lose that field or detail. Drops an incomplete
 * sequence at the end of s (the text before the cut was valid: it came from a JSON document). */
static void trim_partial_utf8(char *s)
{
        size_t n = strlen(s), i = n, continuation = 0;
        while (i > 0 && continuation < 4 && ((unsigned char) s[i - 1] & 0xC0) == 0x80) {
                i--;
                continuation++;
        }
        if (i == 0)
                return;
        unsigned char lead = (unsigned char) s[i - 1];
        size_t want = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
        if (lead >= 0xC0 && continuation < want)
                s[i - 1] = '\0';
}

enum gd_err gd_error_set(struct gd_error *reterr, enum gd_err code, const char *fmt, ...)
{
        if (!reterr)
                return code;
        reterr->code = code;
        reterr->detail[0] = '\0';
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(reterr->detail, sizeof(reterr->detail), fmt, ap);
                va_end(ap);
                trim_partial_utf8(reterr->detail);
        }
        return code;
}

void gd_error_add_field(struct gd_error *err, const char *pointer, const char *fmt, ...)
{
        if (!err || err->n_fields >= GD_ERROR_MAX_FIELDS)
                return;
        struct gd_field_error *f = &err->fields[err->n_fields++];
        snprintf(f->pointer, sizeof(f->pointer), "%s", pointer);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->message, sizeof(f->message), fmt, ap);
        va_end(ap);
        trim_partial_utf8(f->pointer);
        trim_partial_utf8(f->message);
}

void gd_one_line(char *text)
{
        char *w = text;
        bool space = false;
        for (const char *r = text; *r; r++) {
                if (*r == ' ' || *r == '\n' || *r == '\r' || *r == '\t') {
                        space = w != text;
                        continue;
                }
                if (space)
                        *w++ = ' ';
                space = false;
                *w++ = *r;
        }
        *w = '\0';
}

void gd_error_set_cause(struct gd_error *err, const char *fmt, ...)
{
        if (!err)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->cause, sizeof(err->cause), fmt, ap);
        va_end(ap);
        gd_one_line(err->cause);
}

void gd_error_clear(struct gd_error *err)
{
        if (err)
                memset(err, 0, sizeof(*err));
}

const char *gd_err_to_string(enum gd_err code)
{
        static const char *const names[_GD_ERR_MAX] = {
                [GD_OK] = "ok",
                [GD_ERR_BAD_REQUEST] = "bad_request",
                [GD_ERR_BAD_JSON] = "bad_json",
                [GD_ERR_UNAUTHORIZED] = "unauthorized",
                [GD_ERR_FORBIDDEN] = "forbidden",
                [GD_ERR_NOT_FOUND] = "not_found",
                [GD_ERR_METHOD] = "method_not_allowed",
                [GD_ERR_CONFLICT] = "conflict",
                [GD_ERR_PRECONDITION] = "precondition_failed",
                [GD_ERR_TOO_LARGE] = "too_large",
                [GD_ERR_MEDIA_TYPE] = "unsupported_media_type",
                [GD_ERR_INVALID] = "invalid",
                [GD_ERR_TIMEOUT] = "timeout",
                [GD_ERR_HEADERS_TOO_LARGE] = "headers_too_large",
                [GD_ERR_NOT_IMPLEMENTED] = "not_implemented",
                [GD_ERR_RETRY] = "retry",
                [GD_ERR_UNAVAILABLE] = "unavailable",
                [GD_ERR_NOMEM] = "out_of_memory",
                [GD_ERR_INTERNAL] = "internal",
        };
        if ((int) code < 0 || code >= _GD_ERR_MAX || !names[code])
                return "internal";
        return names[code];
}

void gd_pointer_append(char *out, size_t cap, const char *base, const char *key)
{
        size_t o = (size_t) snprintf(out, cap, "%s/", base);
        for (const char *k = key; *k && o + 3 < cap; k++) {
                if (*k == '~' || *k == '/') {
                        out[o++] = '~';
                        out[o++] = *k == '~' ? '0' : '1';
                } else {
                        out[o++] = *k;
                }
        }
        out[o < cap ? o : cap - 1] = '\0';
        trim_partial_utf8(out);
}
