/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/cursor.h: keyset cursors encode, decode and refuse tampered input. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/cursor.h"

#include "gd_check.h"

/* Reference base64url (RFC 4648 §5, no padding), to build cursors byte by byte in tests. */
static void b64url(const unsigned char *in, size_t n, char *out)
{
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t i, o = 0;

        for (i = 0; i + 2 < n; i += 3) {
                unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
                out[o++] = a[v >> 18 & 63];
                out[o++] = a[v >> 12 & 63];
                out[o++] = a[v >> 6 & 63];
                out[o++] = a[v & 63];
        }
        if (n - i == 1) {
                unsigned v = (unsigned)in[i] << 16;
                out[o++] = a[v >> 18 & 63];
                out[o++] = a[v >> 12 & 63];
        } else if (n - i == 2) {
                unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
                out[o++] = a[v >> 18 & 63];
                out[o++] = a[v >> 12 & 63];
                out[o++] = a[v >> 6 & 63];
        }
        out[o] = '\0';
}

static bool is_b64url_char(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* ---- roundtrips ---- */

static const struct {
        size_t n;
        const char *f[GD_CURSOR_MAX_FIELDS];
} rt_cases[] = {
        { 1, { "f47ac10b-58cc-4372-a567-0e02b2c3d479" } },
        { 1, { "42" } },
        { 2, { "2026-11-27T09:10:17.123456Z", "f47ac10b-58cc-4372-a567-0e02b2c3d479" } },
        { 2, { "", "x" } },
        { 3, { "0.8125", "Dupont", "01890a5d-ac96-774b-bcce-b302099a8057" } },
        { 3, { "M\xc3\xbcller", "Jos\xc3\xa9", "\xe6\x97\xa5" } }, /* UTF-8 bytes survive */
        { 4, { "a", "b", "c", "d" } },
        { 4, { "2026-01-01T00:00:00.000000Z", "gold", "100", "123e4567-e89b-12d3-a456-426614174000" } },
        { 1, { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" } }, /* 63 bytes */
};

START_TEST(test_roundtrip)
{
        struct gd_cursor c, back;
        char out[GD_CURSOR_MAX_LEN];
        size_t i, len;

        memset(&c, 0, sizeof(c));
        c.n = rt_cases[_i].n;
        for (i = 0; i < c.n; i++)
                strcpy(c.fields[i], rt_cases[_i].f[i]);

        ck_assert_msg(gd_cursor_encode(&c, out), "case %d: encode failed", _i);
        len = strlen(out);
        ck_assert_uint_gt(len, 0);
        ck_assert_uint_lt(len, GD_CURSOR_MAX_LEN);
        for (i = 0; i < len; i++)
                ck_assert_msg(is_b64url_char(out[i]), "case %d: cursor \"%s\" has '%c' (not base64url, or padding)",
                              _i, out, out[i]);

        memset(&back, 0, sizeof(back));
        ck_assert_msg(gd_cursor_decode(out, c.n, &back), "case %d: decode of \"%s\" failed", _i, out);
        ck_assert_uint_eq(back.n, c.n);
        for (i = 0; i < c.n; i++)
                ck_assert_str_eq(back.fields[i], c.fields[i]);
}
END_TEST

START_TEST(test_roundtrip_wrong_count)
{
        struct gd_cursor c, back;
        char out[GD_CURSOR_MAX_LEN];
        size_t i, k;

        memset(&c, 0, sizeof(c));
        c.n = rt_cases[_i].n;
        for (i = 0; i < c.n; i++)
                strcpy(c.fields[i], rt_cases[_i].f[i]);
        ck_assert(gd_cursor_encode(&c, out));
        for (k = 1; k <= GD_CURSOR_MAX_FIELDS; k++) {
                if (k == c.n)
                        continue;
                ck_assert_msg(!gd_cursor_decode(out, k, &back), "case %d: %zu-field cursor accepted as %zu fields",
                              _i, c.n, k);
        }
}
END_TEST

/* The documented wire format: fields joined by 0x1f, then base64url without padding. */
START_TEST(test_decode_handmade)
{
        struct gd_cursor back;
        char enc[GD_CURSOR_MAX_LEN];
        static const char raw[] = "2026-06-15\x1f" "abc\x1f" "7";

        b64url((const unsigned char *)raw, strlen(raw), enc);
        memset(&back, 0, sizeof(back));
        ck_assert(gd_cursor_decode(enc, 3, &back));
        ck_assert_uint_eq(back.n, 3);
        ck_assert_str_eq(back.fields[0], "2026-06-15");
        ck_assert_str_eq(back.fields[1], "abc");
        ck_assert_str_eq(back.fields[2], "7");
        ck_assert(!gd_cursor_decode(enc, 2, &back));
        ck_assert(!gd_cursor_decode(enc, 4, &back));
}
END_TEST

START_TEST(test_encode_too_long)
{
        struct gd_cursor c;
        char out[GD_CURSOR_MAX_LEN];
        size_t i;

        /* 4 x 63 bytes + 3 separators = 255 bytes, 340 base64url characters: over GD_CURSOR_MAX_LEN */
        memset(&c, 0, sizeof(c));
        c.n = GD_CURSOR_MAX_FIELDS;
        for (i = 0; i < c.n; i++)
                memset(c.fields[i], 'z', sizeof(c.fields[i]) - 1);
        ck_assert(!gd_cursor_encode(&c, out));
}
END_TEST

/* ---- rejects ---- */

static const char *const garbage[] = {
        "!!!!",
        "YWJj=",        /* padding is not produced, so not accepted */
        "YWJjZA==",
        "YW+j",         /* standard base64 alphabet, not base64url */
        "YW/j",
        "YW Jj",
        " YWJj",
        "YWJj\n",
        "YWJj%3D",
        "A",            /* a length of 4k+1 is not base64 at all */
        "AAAAA",
        "\xc3\xa9\xc3\xa9",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479\x1f",
};

START_TEST(test_decode_garbage)
{
        struct gd_cursor back;
        size_t k;

        for (k = 1; k <= GD_CURSOR_MAX_FIELDS; k++)
                ck_assert_msg(!gd_cursor_decode(garbage[_i], k, &back), "garbage \"%s\" accepted as %zu fields",
                              garbage[_i], k);
}
END_TEST

START_TEST(test_decode_too_long)
{
        struct gd_cursor back;
        char *s = malloc(4096 + 1);
        unsigned char raw[4 * 63 + 3];
        char enc[4 * 86 + 1];
        size_t k;

        ck_assert_ptr_nonnull(s);
        memset(s, 'A', 4096);
        s[4096] = '\0';
        for (k = 1; k <= GD_CURSOR_MAX_FIELDS; k++)
                ck_assert(!gd_cursor_decode(s, k, &back));
        free(s);

        /* well-formed content (4 fields of 63 bytes) but 340 characters: more than encode can produce */
        memset(raw, 'z', sizeof(raw));
        raw[63] = raw[127] = raw[191] = 0x1f;
        b64url(raw, sizeof(raw), enc);
        ck_assert_uint_eq(strlen(enc), 340);
        for (k = 1; k <= GD_CURSOR_MAX_FIELDS; k++)
                ck_assert(!gd_cursor_decode(enc, k, &back));
}
END_TEST

/* A field longer than 63 bytes cannot fit in struct gd_cursor, even if the cursor is short enough. */
START_TEST(test_decode_field_too_long)
{
        struct gd_cursor back;
        unsigned char raw[100];
        char enc[GD_CURSOR_MAX_LEN];

        memset(raw, 'q', sizeof(raw));
        b64url(raw, sizeof(raw), enc);
        ck_assert(!gd_cursor_decode(enc, 1, &back));
        raw[50] = 0x1f; /* 50 + 49: both fit */
        b64url(raw, sizeof(raw), enc);
        ck_assert(gd_cursor_decode(enc, 2, &back));
        ck_assert_uint_eq(strlen(back.fields[0]), 50);
        ck_assert_uint_eq(strlen(back.fields[1]), 49);
}
END_TEST

/* Five fields is more than any cursor may hold. */
START_TEST(test_decode_too_many_fields)
{
        struct gd_cursor back;
        char enc[GD_CURSOR_MAX_LEN];
        static const char raw[] = "a\x1f" "b\x1f" "c\x1f" "d\x1f" "e";
        size_t k;

        b64url((const unsigned char *)raw, strlen(raw), enc);
        for (k = 1; k <= GD_CURSOR_MAX_FIELDS; k++)
                ck_assert(!gd_cursor_decode(enc, k, &back));
}
END_TEST

/* An embedded NUL byte would silently truncate a field: refuse it. */
START_TEST(test_decode_nul_byte)
{
        struct gd_cursor back;
        char enc[GD_CURSOR_MAX_LEN];
        static const unsigned char raw[] = { 'a', 'b', 0x00, 'c', 0x1f, 'd' };

        b64url(raw, sizeof(raw), enc);
        ck_assert(!gd_cursor_decode(enc, 2, &back));
}
END_TEST

static Suite *cursor_suite(void)
{
        Suite *s = suite_create("cursor");
        TCase *tc;

        tc = tcase_create("roundtrip");
        tcase_add_loop_test(tc, test_roundtrip, 0, N(rt_cases));
        tcase_add_loop_test(tc, test_roundtrip_wrong_count, 0, N(rt_cases));
        tcase_add_test(tc, test_decode_handmade);
        tcase_add_test(tc, test_encode_too_long);
        suite_add_tcase(s, tc);

        tc = tcase_create("reject");
        tcase_add_loop_test(tc, test_decode_garbage, 0, N(garbage));
        tcase_add_test(tc, test_decode_too_long);
        tcase_add_test(tc, test_decode_field_too_long);
        tcase_add_test(tc, test_decode_too_many_fields);
        tcase_add_test(tc, test_decode_nul_byte);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(cursor_suite()));
}
