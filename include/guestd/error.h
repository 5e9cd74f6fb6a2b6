/* SPDX-License-Identifier: MIT */
/* One error type for every layer; http/reply.c maps it to RFC 9457 problem+json. */
#ifndef GUESTD_ERROR_H
#define GUESTD_ERROR_H

#include <stddef.h>

enum gd_err {
        GD_OK = 0,
        GD_ERR_BAD_REQUEST,      /* 400: malformed query, header or framing */
        GD_ERR_BAD_JSON,         /* 400: body is not valid JSON */
        GD_ERR_UNAUTHORIZED,     /* 401 */
        GD_ERR_FORBIDDEN,        /* 403 */
        GD_ERR_NOT_FOUND,        /* 404 */
        GD_ERR_METHOD,           /* 405 */
        GD_ERR_CONFLICT,         /* 409 */
        GD_ERR_PRECONDITION,     /* 412: If-Match did not match */
        GD_ERR_TOO_LARGE,        /* 413 */
        GD_ERR_MEDIA_TYPE,       /* 415 */
        GD_ERR_INVALID,          /* 422: well-formed body that breaks a rule */
        GD_ERR_TIMEOUT,          /* 408: the request head did not arrive in time */
        GD_ERR_HEADERS_TOO_LARGE, /* 431 */
        GD_ERR_NOT_IMPLEMENTED,  /* 501: a transfer coding other than chunked */
        GD_ERR_RETRY,            /* serialization failure or deadlock: retried by the db layer */
        GD_ERR_UNAVAILABLE,      /* 503: database unreachable, frozen or pool exhausted */
        GD_ERR_NOMEM,            /* 500 */
        GD_ERR_INTERNAL,         /* 500 */
        _GD_ERR_MAX,
};

/* Field errors are kept in fixed slots: a failing request never allocates to report it. */
#define GD_ERROR_MAX_FIELDS 32
#define GD_POINTER_MAX 128

struct gd_field_error {
        char pointer[GD_POINTER_MAX]; /* RFC 6901 JSON pointer ("/address/country") or a query parameter name */
        char message[160];
};

struct gd_error {
        enum gd_err code;
        char detail[256];
        size_t n_fields;
        struct gd_field_error fields[GD_ERROR_MAX_FIELDS];
        char merged_into[40]; /* set when a 404 is for a guest merged into another one */
        char cause[200];      /* for the log only, never sent to clients (libpq messages, errno text) */
        char sqlstate[6];     /* the SQLSTATE of a statement that failed ("" if none), for the log only */
};

/* Sets code and detail (printf-style, may be NULL) and returns code, so callers can
 * `return gd_error_set(reterr, GD_ERR_INVALID, "...")`. reterr may be NULL. */
enum gd_err gd_error_set(struct gd_error *reterr, enum gd_err code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Appends one field error (silently dropped past GD_ERROR_MAX_FIELDS). */
void gd_error_add_field(struct gd_error *err, const char *pointer, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

void gd_error_clear(struct gd_error *err);

/* Writes base + "/" + key to out as an RFC 6901 JSON pointer ('~' becomes "~0", '/' "~1"). */
void gd_pointer_append(char *out, size_t cap, const char *base, const char *key);

/* Records the internal cause of an error for the log line of the request. */
/* Makes `text` one line in place: runs of white space (libpq's messages end with a newline and put
 * a hint on a tab-indented second line) become one space; leading and trailing ones go. */
void gd_one_line(char *text);
/* Sets the cause (for logs only), as one line. */
void gd_error_set_cause(struct gd_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stable machine name of a code ("not_found"), for logs. */
const char *gd_err_to_string(enum gd_err code);

#endif
