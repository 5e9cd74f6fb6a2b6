/* SPDX-License-Identifier: MIT */
/* The rules a request head must follow before anything reads its body (RFC 9110, RFC 9112). */
#ifndef GUESTD_HEAD_H
#define GUESTD_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "guestd/error.h"

/* What the fields of one head said about its framing, counted by gd_head_check_field. */
struct gd_head_framing {
        bool http_1_1; /* an HTTP/1.1 (or later 1.x) request: Host is required */
        unsigned content_length;
        unsigned transfer_encoding;
        unsigned host;
        bool expects_continue; /* Expect: 100-continue */
        bool empty_body;       /* Content-Length of zero */
};

/* One header field as the parser found it: name up to the colon, value after the leading white space.
 * The name must be a token (white space before the colon: 400); the value holds no control characters
 * but tabs; Content-Length is 1 to 19 digits and nothing else (a sign, a list or trailing white space:
 * 400; 20 digits and more: 413); Transfer-Encoding is "chunked" (other codings: 501, a malformed list:
 * 400). Counts the framing fields into f. */
enum gd_err gd_head_check_field(struct gd_head_framing *f, const char *name, size_t name_len, const char *value,
                                size_t value_len, struct gd_error *reterr);

/* After the last field: doubled or conflicting framing fields, a Transfer-Encoding of HTTP/1.0, an
 * HTTP/1.1 request without exactly one Host, and Expect: 100-continue on a request without a body are
 * 400. */
enum gd_err gd_head_check_framing(const struct gd_head_framing *f, struct gd_error *reterr);

/* Checks the raw bytes a connection sent first: the request line and each header field, up to the
 * empty line. *ret_head_len is its length with the empty line, or 0 while that line has not arrived.
 * Leading empty lines are skipped, as RFC 9112 §2.2 asks; a bare CR, a NUL, a folded line (obs-fold)
 * or a malformed request line is 400. */
enum gd_err gd_head_scan(const char *buf, size_t len, size_t *ret_head_len, struct gd_error *reterr);

#endif
