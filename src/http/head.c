/* SPDX-License-Identifier: MIT */
/*
 * Request heads: the field rules that keep a proxy in front of guestd and guestd itself agreeing on
 * where a request ends (request smuggling), applied twice with one set of rules: by the gate to the
 * raw bytes of a connection's first request (gate.c), and in the first call to the fields that
 * libmicrohttpd parsed for every request (server.c). No libmicrohttpd here, so the fuzzer and the
 * unit tests drive it with plain bytes.
 */
#include <string.h>
#include <strings.h>

#include "guestd/head.h"

/* Content-Length as libmicrohttpd 0.9.75 reads it: a uint64; 19 digits always fit. */
#define CONTENT_LENGTH_MAX_DIGITS 19

static bool is_tchar(unsigned char c)
{
        /* RFC 9110 §5.6.2 */
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_tchar((unsigned char) s[i]))
                        return false;
        return true;
}

static bool is_ows(char c)
{
        return c == ' ' || c == '\t';
}

static bool names_equal(const char *name, size_t n, const char *want)
{
        return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* A comma-separated list of tokens with optional white space: what a list of codings looks like. */
static bool is_token_list(const char *v, size_t n)
{
        size_t i = 0, tokens = 0;
        while (i < n) {
                while (i < n && (is_ows(v[i]) || v[i] == ','))
                        i++;
                size_t start = i;
                while (i < n && is_tchar((unsigned char) v[i]))
                        i++;
                if (i > start)
                        tokens++;
                while (i < n && is_ows(v[i]))
                        i++;
                if (i < n && v[i] != ',')
                        return false;
        }
        return tokens > 0;
}

static enum gd_err check_content_length(const char *v, size_t n, struct gd_error *reterr)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] < '0' || v[i] > '9')
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                            "The Content-Length header must be digits only (no sign, list or "
                                            "white space).");
        if (n == 0)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The Content-Length header is empty.");
        if (n > CONTENT_LENGTH_MAX_DIGITS)
                return gd_error_set(reterr, GD_ERR_TOO_LARGE, "The declared body is too large.");
        return GD_OK;
}

static enum gd_err check_transfer_encoding(const char *v, size_t n, struct gd_error *reterr)
{
        /* libmicrohttpd decodes a body only when the whole value is "chunked": anything else would be
         * read as a body without an end, and the connection would hang until its timeout */
        /* trailing white space is not part of the value (RFC 9110 §5.5), and libmicrohttpd drops it */
        while (n > 0 && is_ows(v[n - 1]))
                n--;
        if (names_equal(v, n, "chunked"))
                return GD_OK;
        if (is_token_list(v, n))
                return gd_error_set(reterr, GD_ERR_NOT_IMPLEMENTED,
                                    "Only the transfer coding chunked is supported, alone.");
        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The Transfer-Encoding header is malformed.");
}

enum gd_err gd_head_check_field(struct gd_head_framing *f, const char *name, size_t name_len, const char *value,
                                size_t value_len, struct gd_error *reterr)
{
        if (!is_token(name, name_len))
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                    "A header name is empty, has white space before its colon or a character "
                                    "a name may not hold.");
        for (size_t i = 0; i < value_len; i++) {
                unsigned char c = (unsigned char) value[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "A header value holds a control character.");
        }
        if (names_equal(name, name_len, "Content-Length")) {
                f->content_length++;
                size_t zeros = 0;
                while (zeros < value_len && value[zeros] == '0')
                        zeros++;
                f->empty_body = value_len > 0 && zeros == value_len;
                return check_content_length(value, value_len, reterr);
        }
        if (names_equal(name, name_len, "Expect"))
                f->expects_continue |= names_equal(value, value_len, "100-continue"); /* any of several */
        if (names_equal(name, name_len, "Transfer-Encoding")) {
                f->transfer_encoding++;
                return check_transfer_encoding(value, value_len, reterr);
        }
        if (names_equal(name, name_len, "Host"))
                f->host++;
        return GD_OK;
}

enum gd_err gd_head_check_framing(const struct gd_head_framing *f, struct gd_error *reterr)
{
        if (f->content_length > 1)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The request has more than one Content-Length header.");
        if (f->transfer_encoding > 1)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                    "The request has more than one Transfer-Encoding header.");
        if (f->content_length && f->transfer_encoding)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                    "The request has both Content-Length and Transfer-Encoding headers.");
        if (f->transfer_encoding && !f->http_1_1)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "An HTTP/1.0 request cannot use Transfer-Encoding.");
        if (f->http_1_1 && f->host != 1)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "An HTTP/1.1 request needs exactly one Host header.");
        /* libmicrohttpd 0.9.75 sends 100 Continue even then, and calls the handler again before the
         * request's end if more bytes follow: the answer could not be queued, and the write would have
         * run unanswered */
        if (f->http_1_1 && f->expects_continue && !f->transfer_encoding && (!f->content_length || f->empty_body))
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "Expect: 100-continue needs a request body.");
        return GD_OK;
}

/* "METHOD SP request-target SP HTTP/d.d", nothing more (RFC 9112 §3). */
static enum gd_err check_request_line(const char *s, size_t n, struct gd_head_framing *f, struct gd_error *reterr)
{
        size_t i = 0;
        while (i < n && is_tchar((unsigned char) s[i]))
                i++;
        bool ok = i > 0 && i < n && s[i] == ' ';
        size_t target = ++i;
        while (ok && i < n && s[i] > ' ' && s[i] < 0x7f)
                i++;
        ok = ok && i > target && n - i == 9 && memcmp(s + i, " HTTP/", 6) == 0 && s[i + 6] >= '0' &&
             s[i + 6] <= '9' && s[i + 7] == '.' && s[i + 8] >= '0' && s[i + 8] <= '9';
        if (!ok)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The request line is malformed.");
        f->http_1_1 = !(s[i + 6] == '1' && s[i + 8] == '0') && s[i + 6] >= '1';
        return GD_OK;
}

enum gd_err gd_head_scan(const char *buf, size_t len, size_t *ret_head_len, struct gd_error *reterr)
{
        struct gd_head_framing f = {0};
        size_t pos = 0;
        bool request_line = true;
        *ret_head_len = 0;
        while (pos < len) {
                const char *lf = memchr(buf + pos, '\n', len - pos);
                const char *nul = memchr(buf + pos, '\0', lf ? (size_t) (lf - buf) - pos : len - pos);
                if (nul)
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The request head holds a NUL byte.");
                if (!lf)
                        return GD_OK; /* the rest of this line has not arrived yet */
                size_t n = (size_t) (lf - buf) - pos;
                const char *line = buf + pos;
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                pos = (size_t) (lf - buf) + 1;
                if (memchr(line, '\r', n))
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The request head holds a bare CR.");
                if (request_line) {
                        if (n == 0)
                                continue;
                        enum gd_err e = check_request_line(line, n, &f, reterr);
                        if (e != GD_OK)
                                return e;
                        request_line = false;
                        continue;
                }
                if (n == 0) {
                        enum gd_err e = gd_head_check_framing(&f, reterr);
                        if (e == GD_OK)
                                *ret_head_len = pos;
                        return e;
                }
                if (is_ows(line[0]))
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST,
                                            "A header line is folded onto the next (obs-fold).");
                const char *colon = memchr(line, ':', n);
                if (!colon)
                        return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "A header line has no colon.");
                size_t name_len = (size_t) (colon - line), v = name_len + 1;
                while (v < n && is_ows(line[v]))
                        v++;
                enum gd_err e = gd_head_check_field(&f, line, name_len, line + v, n - v, reterr);
                if (e != GD_OK)
                        return e;
        }
        return GD_OK;
}
