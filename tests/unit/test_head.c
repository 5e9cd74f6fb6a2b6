/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/head.h: the rules the gate applies to the raw bytes of a request head. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/head.h"

#include "gd_check.h"

/* A string literal and its length, so that heads may hold a NUL. */
#define BYTES(s) s, sizeof(s) - 1

#define GET11 "GET /v1/guests HTTP/1.1\r\n"
#define POST11 "POST /v1/guests HTTP/1.1\r\nHost: a\r\n"

struct scan_case {
        const char *name;
        const char *head; /* up to the empty line, or everything for an error */
        size_t head_size;
        const char *body; /* what follows the head: never part of head_len */
        enum gd_err want;
};

/* Heads that pass, each with the bytes that follow it, then heads that fail, with their code. */
static const struct scan_case heads[] = {
        {"get", BYTES(GET11 "Host: a\r\n\r\n"), "", GD_OK},
        {"get with a pipelined request behind", BYTES(GET11 "Host: a\r\n\r\n"), GET11 "Host: a\r\n\r\n",
         GD_OK},
        {"post with a body", BYTES(POST11 "Content-Length: 7\r\n\r\n"), "{\"a\":1}", GD_OK},
        {"post chunked", BYTES(POST11 "Transfer-Encoding: chunked\r\n\r\n"), "2\r\n{}\r\n0\r\n\r\n", GD_OK},
        {"coding name is case-insensitive", BYTES(POST11 "Transfer-Encoding: Chunked\r\n\r\n"), "0\r\n\r\n",
         GD_OK},
        {"field names are case-insensitive", BYTES(POST11 "content-length: 2\r\n\r\n"), "{}", GD_OK},
        {"leading empty lines", BYTES("\r\n\n\r\n" GET11 "Host: a\r\n\r\n"), "", GD_OK},
        {"bare LF line ends", BYTES("GET / HTTP/1.1\nHost: a\n\n"), "x", GD_OK},
        {"mixed line ends", BYTES("GET / HTTP/1.1\r\nHost: a\n\r\n"), "", GD_OK},
        {"content length of 19 digits", BYTES(POST11 "Content-Length: 9999999999999999999\r\n\r\n"), "",
         GD_OK},
        {"content length with leading zeros", BYTES(POST11 "Content-Length: 007\r\n\r\n"), "1234567", GD_OK},
        {"content length zero", BYTES(POST11 "Content-Length: 0\r\n\r\n"), "", GD_OK},
        {"http/1.0 without host", BYTES("GET / HTTP/1.0\r\n\r\n"), "", GD_OK},
        {"http/1.0 with a body", BYTES("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n"), "{}", GD_OK},
        {"empty value", BYTES(GET11 "Host: a\r\nX-Empty:\r\n\r\n"), "", GD_OK},
        {"value with inner and trailing tabs", BYTES(GET11 "Host: a\r\nX-T: a\tb\t\r\n\r\n"), "", GD_OK},
        {"value with obs-text", BYTES(GET11 "Host: a\r\nX-T: caf\xc3\xa9\r\n\r\n"), "", GD_OK},
        {"no white space after the colon", BYTES(GET11 "Host:a\r\n\r\n"), "", GD_OK},
        {"every tchar in a name", BYTES(GET11 "Host: a\r\n!#$%&'*+-.^_`|~09azAZ: 1\r\n\r\n"), "", GD_OK},
        {"asterisk-form target", BYTES("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_OK},
        {"absolute-form target", BYTES("GET http://a/v1/guests?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_OK},
        /* the request line */
        {"no version", BYTES("GET /\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"two spaces", BYTES("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"space at the end", BYTES("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"control character in the target", BYTES("GET /a\x01" "b HTTP/1.1\r\nHost: a\r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"DEL in the target", BYTES("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"tab as a separator", BYTES("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"lower-case protocol", BYTES("GET / http/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"three-digit version", BYTES("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"no method", BYTES(" / HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"method with a separator", BYTES("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        /* line ends and bytes */
        {"bare CR inside a line", BYTES(GET11 "Host: a\rX: 1\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"bare CR as a line end", BYTES("GET / HTTP/1.1\rHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"CR CR LF", BYTES(GET11 "Host: a\r\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"NUL in a value", BYTES(GET11 "Host: a\0b\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"NUL in the request line", BYTES("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"NUL in a line not yet ended", BYTES(GET11 "Host: a\0"), "", GD_ERR_BAD_REQUEST},
        {"control character in a value", BYTES(GET11 "Host: a\r\nX: \x1b[1m\r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"DEL in a value", BYTES(GET11 "Host: a\r\nX: \x7f\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        /* header names */
        {"space before the colon", BYTES(POST11 "Content-Length : 5\r\n\r\n"), "hello", GD_ERR_BAD_REQUEST},
        {"tab before the colon", BYTES(GET11 "Host\t: x\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"separator in a name", BYTES(GET11 "Host: a\r\nX(y): 1\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"empty name", BYTES(GET11 "Host: a\r\n: 1\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"no colon", BYTES(GET11 "Host: a\r\nX-Nothing\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"obs-fold with a space", BYTES(GET11 "Host: a\r\nX: 1\r\n 2\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"obs-fold with a tab", BYTES(GET11 "Host: a\r\nX: 1\r\n\t2\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"white space line after the request line", BYTES(GET11 " Host: a\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        /* Content-Length */
        {"content length list", BYTES(POST11 "Content-Length: 24, 24\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"negative content length", BYTES(POST11 "Content-Length: -1\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"signed content length", BYTES(POST11 "Content-Length: +24\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"content length with a trailing space", BYTES(POST11 "Content-Length: 24 \r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"hexadecimal content length", BYTES(POST11 "Content-Length: 0x18\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"empty content length", BYTES(POST11 "Content-Length:\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"content length of 20 digits", BYTES(POST11 "Content-Length: 99999999999999999999\r\n\r\n"), "",
         GD_ERR_TOO_LARGE},
        /* Transfer-Encoding */
        {"gzip", BYTES(POST11 "Transfer-Encoding: gzip\r\n\r\n"), "", GD_ERR_NOT_IMPLEMENTED},
        {"xchunked", BYTES(POST11 "Transfer-Encoding: xchunked\r\n\r\n"), "", GD_ERR_NOT_IMPLEMENTED},
        {"identity then chunked", BYTES(POST11 "Transfer-Encoding: identity, chunked\r\n\r\n"), "",
         GD_ERR_NOT_IMPLEMENTED},
        {"chunked with empty parameters", BYTES(POST11 "Transfer-Encoding: chunked;;\r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"quoted chunked", BYTES(POST11 "Transfer-Encoding: \"chunked\"\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"empty transfer encoding", BYTES(POST11 "Transfer-Encoding:\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        /* framing */
        {"two content lengths", BYTES(POST11 "Content-Length: 2\r\nContent-Length: 2\r\n\r\n"), "{}",
         GD_ERR_BAD_REQUEST},
        {"two transfer encodings",
         BYTES(POST11 "Transfer-Encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"content length and transfer encoding",
         BYTES(POST11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), "0\r\n\r\n",
         GD_ERR_BAD_REQUEST},
        {"http/1.1 without host", BYTES("GET / HTTP/1.1\r\nX: 1\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"http/1.1 with two hosts", BYTES(GET11 "Host: a\r\nhost: b\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
        {"transfer encoding on http/1.0", BYTES("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), "",
         GD_ERR_BAD_REQUEST},
        {"later major version without host", BYTES("GET / HTTP/2.0\r\n\r\n"), "", GD_ERR_BAD_REQUEST},
};

/* head followed by body, in a buffer of its own so that ASan sees any read past the end */
static char *join(const struct scan_case *c, size_t *ret_len)
{
        size_t body_len = strlen(c->body);
        char *buf = malloc(c->head_size + body_len + 1);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, c->head, c->head_size);
        memcpy(buf + c->head_size, c->body, body_len);
        *ret_len = c->head_size + body_len;
        return buf;
}

START_TEST(test_scan)
{
        const struct scan_case *c = &heads[_i];
        size_t len, head_len = 12345;
        char *buf = join(c, &len);
        struct gd_error err = {0};
        enum gd_err e = gd_head_scan(buf, len, &head_len, &err);
        ck_assert_msg(e == c->want, "%s: %s, want %s (%s)", c->name, gd_err_to_string(e),
                      gd_err_to_string(c->want), err.detail);
        if (e == GD_OK)
                ck_assert_msg(head_len == c->head_size, "%s: head_len %zu, want %zu", c->name, head_len,
                              c->head_size);
        else
                ck_assert_msg(err.code == e && err.detail[0] != '\0', "%s: no detail", c->name);
        free(buf);
}
END_TEST

/* The gate scans whatever has arrived: each prefix of a head is incomplete (GD_OK, head_len 0) until
 * the head's verdict, which then stays. A valid head's verdict comes exactly with its empty line. */
START_TEST(test_scan_cut)
{
        const struct scan_case *c = &heads[_i];
        size_t len;
        char *buf = join(c, &len);
        bool decided = false;
        for (size_t cut = 0; cut <= len; cut++) {
                /* a buffer of the prefix's size, so that ASan sees any read past it */
                char *prefix = malloc(cut ? cut : 1);
                ck_assert_ptr_nonnull(prefix);
                memcpy(prefix, buf, cut);
                struct gd_error err = {0};
                size_t head_len = 12345;
                enum gd_err e = gd_head_scan(prefix, cut, &head_len, &err);
                free(prefix);
                bool incomplete = e == GD_OK && head_len == 0;
                ck_assert_msg(incomplete || e == c->want, "%s, first %zu bytes: %s", c->name, cut,
                              gd_err_to_string(e));
                ck_assert_msg(!decided || !incomplete, "%s: decided, then incomplete at %zu bytes", c->name,
                              cut);
                if (c->want == GD_OK)
                        ck_assert_msg(incomplete == (cut < c->head_size) &&
                                              (incomplete || head_len == c->head_size),
                                      "%s, first %zu bytes: head_len %zu, want %zu", c->name, cut, head_len,
                                      c->head_size);
                decided = !incomplete;
        }
        ck_assert(decided);
        free(buf);
}
END_TEST

/* Nothing yet, or only empty lines: still waiting for the request line. */
START_TEST(test_scan_nothing_yet)
{
        static const char *const waiting[] = {
                "", "\r\n", "\n\n\r\n", "GET", "GET / HTTP/1.1", "GET / HTTP/1.1\r", GET11 "Host: a\r\n",
                GET11 "Host: a\r\n\r",
        };
        for (int i = 0; i < N(waiting); i++) {
                struct gd_error err = {0};
                size_t head_len = 12345;
                ck_assert_int_eq(gd_head_scan(waiting[i], strlen(waiting[i]), &head_len, &err), GD_OK);
                ck_assert_uint_eq(head_len, 0);
        }
}
END_TEST

/* The fields as libmicrohttpd hands them to gd_gate_check_head: the value without its surrounding
 * white space. */
struct field_case {
        const char *name, *value;
        enum gd_err want;
};

static const struct field_case fields[] = {
        {"Content-Length", "24", GD_OK},
        {"content-length", "0", GD_OK},
        {"Content-Length", "24, 24", GD_ERR_BAD_REQUEST},
        {"Content-Length", "", GD_ERR_BAD_REQUEST},
        {"Content-Length", "12345678901234567890", GD_ERR_TOO_LARGE},
        {"Transfer-Encoding", "CHUNKED", GD_OK},
        {"Transfer-Encoding", "gzip, chunked", GD_ERR_NOT_IMPLEMENTED},
        {"Transfer-Encoding", "chunked;q=1", GD_ERR_BAD_REQUEST},
        {"X-Y", "a\tb", GD_OK},
        {"X-Y", "a\nb", GD_ERR_BAD_REQUEST},
        {"X Y", "1", GD_ERR_BAD_REQUEST},
        {"", "1", GD_ERR_BAD_REQUEST},
};

START_TEST(test_check_field)
{
        const struct field_case *c = &fields[_i];
        struct gd_head_framing f = {0};
        struct gd_error err = {0};
        enum gd_err e = gd_head_check_field(&f, c->name, strlen(c->name), c->value, strlen(c->value), &err);
        ck_assert_msg(e == c->want, "%s: %s: %s, want %s", c->name, c->value, gd_err_to_string(e),
                      gd_err_to_string(c->want));
}
END_TEST

struct framing_case {
        struct gd_head_framing f;
        enum gd_err want;
};

static const struct framing_case framings[] = {
        {{.http_1_1 = true, .host = 1}, GD_OK},
        {{.http_1_1 = true, .host = 1, .content_length = 1}, GD_OK},
        {{.http_1_1 = true, .host = 1, .transfer_encoding = 1}, GD_OK},
        {{.http_1_1 = false}, GD_OK},
        {{.http_1_1 = false, .host = 2}, GD_OK},
        {{.http_1_1 = true}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = true, .host = 2}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = true, .host = 1, .content_length = 2}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = true, .host = 1, .transfer_encoding = 2}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = true, .host = 1, .content_length = 1, .transfer_encoding = 1}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = false, .transfer_encoding = 1}, GD_ERR_BAD_REQUEST},
        /* Expect: 100-continue needs a body */
        {{.http_1_1 = true, .host = 1, .expects_continue = true, .content_length = 1}, GD_OK},
        {{.http_1_1 = true, .host = 1, .expects_continue = true, .transfer_encoding = 1}, GD_OK},
        {{.http_1_1 = false, .expects_continue = true}, GD_OK},
        {{.http_1_1 = true, .host = 1, .expects_continue = true}, GD_ERR_BAD_REQUEST},
        {{.http_1_1 = true, .host = 1, .expects_continue = true, .content_length = 1, .empty_body = true},
         GD_ERR_BAD_REQUEST},
};

START_TEST(test_check_framing)
{
        struct gd_error err = {0};
        ck_assert_int_eq(gd_head_check_framing(&framings[_i].f, &err), framings[_i].want);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("head");
        TCase *tc = tcase_create("scan");
        tcase_add_loop_test(tc, test_scan, 0, N(heads));
        tcase_add_test(tc, test_scan_nothing_yet);
        suite_add_tcase(s, tc);
        tc = tcase_create("cut");
        tcase_add_loop_test(tc, test_scan_cut, 0, N(heads));
        suite_add_tcase(s, tc);
        tc = tcase_create("fields");
        tcase_add_loop_test(tc, test_check_field, 0, N(fields));
        tcase_add_loop_test(tc, test_check_framing, 0, N(framings));
        suite_add_tcase(s, tc);
        return run_suites(srunner_create(s));
}
