/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/csv.h: RFC 4180 cells, formula-injection prefix, header rows, the buffer. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/csv.h"

#include "gd_check.h"

/* One cell into a fresh buffer; returns a heap copy of what was written. */
static char *cell(const char *text)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_cell(&b, text));
        char *out = strdup(b.data ? b.data : "");
        ck_assert_uint_eq(strlen(out), b.len);
        gd_strbuf_clear(&b);
        return out;
}

struct cell_case {
        const char *in, *out;
};

static const struct cell_case cell_cases[] = {
        /* plain text passes unchanged */
        {"plain", "plain"},
        {"Müller", "Müller"},
        {"two words", "two words"},
        {"a'b", "a'b"},
        {"x=1", "x=1"}, /* an operator inside the text is harmless */
        {"1+1", "1+1"},
        {"mail@example.org", "mail@example.org"},
        {"a\tb", "a\tb"}, /* a TAB that does not start the cell needs nothing */
        /* quoting: comma, quote (doubled), CR, LF */
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"\"\"", "\"\"\"\"\"\""},
        {"line1\nline2", "\"line1\nline2\""},
        {"line1\r\nline2", "\"line1\r\nline2\""},
        {"a\rb", "\"a\rb\""},
        {",", "\",\""},
        {"trailing,", "\"trailing,\""},
        /* the formula prefix: = + - @ TAB CR at the start */
        {"=1+1", "'=1+1"},
        {"+1", "'+1"},
        {"-1", "'-1"},
        {"@x", "'@x"},
        {"\tx", "'\tx"},
        {"=", "'="},
        {"+33612345678", "'+33612345678"},
        /* a CR at the start is both: quoted, with the apostrophe inside the quotes */
        {"\rx", "\"'\rx\""},
        /* formula and comma/quote: the apostrophe goes inside the quotes */
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"=SUM(A1,B1)", "\"'=SUM(A1,B1)\""},
        {"-1,5", "\"'-1,5\""},
        {"@a\nb", "\"'@a\nb\""},
        /* quotes in runs: each one doubled, the text between them copied whole */
        {"a\"\"\"b", "\"a\"\"\"\"\"\"b\""},
        {"\"\"\"", "\"\"\"\"\"\"\"\""},
        {"\"start and end\"", "\"\"\"start and end\"\"\""},
        {"\"x", "\"\"\"x\""},
        {"x\"", "\"x\"\"\""},
        {"=\"a\"", "\"'=\"\"a\"\"\""},
        /* the empty cell is nothing at all */
        {"", ""},
};

START_TEST(test_cell)
{
        const struct cell_case *c = &cell_cases[_i];
        char *got = cell(c->in);
        ck_assert_msg(strcmp(got, c->out) == 0, "cell(%s): got [%s], want [%s]", c->in, got, c->out);
        free(got);
}
END_TEST

START_TEST(test_cell_appends)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "x:", 2));
        ck_assert(gd_csv_cell(&b, "a,b"));
        ck_assert(gd_csv_cell(&b, ""));
        ck_assert(gd_csv_cell(&b, "=c"));
        ck_assert_str_eq(b.data, "x:\"a,b\"'=c");
        ck_assert_uint_eq(b.len, strlen("x:\"a,b\"'=c"));
        gd_strbuf_clear(&b);
        ck_assert_ptr_null(b.data);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_empty_cell_leaves_buffer_terminated)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "abc", 3));
        ck_assert(gd_csv_cell(&b, ""));
        ck_assert_uint_eq(b.len, 3);
        ck_assert_str_eq(b.data, "abc");
        gd_strbuf_clear(&b);
}
END_TEST

/* The RFC 4180 escaping of text, written byte by byte: the reference the run-based cell is compared with.
 * No formula prefix: callers pass text that does not start with one. */
static char *escape_bytewise(const char *text)
{
        size_t n = strlen(text), o = 0;
        char *out = malloc(2 * n + 3);
        ck_assert_ptr_nonnull(out);
        bool quote = strpbrk(text, ",\"\r\n") != NULL;
        if (quote)
                out[o++] = '"';
        for (size_t i = 0; i < n; i++) {
                if (text[i] == '"')
                        out[o++] = '"';
                out[o++] = text[i];
        }
        if (quote)
                out[o++] = '"';
        out[o] = '\0';
        return out;
}

START_TEST(test_cell_long_with_quotes)
{
        /* runs of 0..36 bytes between quotes, some runs empty (quotes side by side), quote at the end */
        size_t cap = 40000, n = 0;
        char *text = malloc(cap);
        ck_assert_ptr_nonnull(text);
        for (int i = 0; n + 40 < cap; i++) {
                for (int k = 0; k < i % 37; k++)
                        text[n++] = (char) ('a' + (i + k) % 26);
                text[n++] = '"';
        }
        text[n] = '\0';
        size_t quotes = 0;
        for (size_t i = 0; i < n; i++)
                quotes += text[i] == '"';

        char *got = cell(text);
        char *want = escape_bytewise(text);
        ck_assert_uint_eq(strlen(got), n + quotes + 2);
        ck_assert_int_eq(got[0], '"');
        ck_assert_int_eq(got[strlen(got) - 1], '"');
        ck_assert_msg(strcmp(got, want) == 0, "long cell differs from the byte-by-byte escaping");
        free(want);
        free(got);
        free(text);
}
END_TEST

START_TEST(test_cell_long_without_quotes)
{
        /* one run of 100000 bytes with a comma in the middle: quoted, copied unchanged */
        char *text = repeat("0123456789", 10000);
        text[50000] = ',';
        char *got = cell(text);
        ck_assert_uint_eq(strlen(got), 100002);
        ck_assert_int_eq(got[0], '"');
        ck_assert(memcmp(got + 1, text, 100000) == 0);
        ck_assert_int_eq(got[100001], '"');
        free(got);
        free(text);
}
END_TEST

START_TEST(test_cell_quotes_spread)
{
        /* quotes at the start, the end and in between, after a prefix already in the buffer */
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "<", 1));
        ck_assert(gd_csv_cell(&b, "\"He said \"\"no\"\", then \"yes\"\""));
        ck_assert(gd_strbuf_append(&b, ">", 1));
        ck_assert_str_eq(b.data, "<\"\"\"He said \"\"\"\"no\"\"\"\", then \"\"yes\"\"\"\"\">");
        ck_assert_uint_eq(b.len, strlen(b.data));
        gd_strbuf_clear(&b);
}
END_TEST

/* ---- header ---- */

START_TEST(test_header)
{
        static const char *const cols[] = {"id", "family_name", "next_occasion.kind", NULL};
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_header(&b, cols));
        ck_assert_str_eq(b.data, "id,family_name,next_occasion.kind\r\n");
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_header_one_column)
{
        static const char *const cols[] = {"only", NULL};
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_header(&b, cols));
        ck_assert_str_eq(b.data, "only\r\n");
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_header_quotes_like_cells)
{
        static const char *const cols[] = {"a,b", "=x", "plain", NULL};
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_header(&b, cols));
        ck_assert_str_eq(b.data, "\"a,b\",'=x,plain\r\n");
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_header_no_columns)
{
        static const char *const cols[] = {NULL};
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_header(&b, cols));
        ck_assert_str_eq(b.data, "\r\n");
        gd_strbuf_clear(&b);
}
END_TEST

/* ---- the buffer ---- */

START_TEST(test_strbuf_growth)
{
        struct gd_strbuf b = {0};
        char expect[16];
        size_t total = 0;
        for (int i = 0; i < 100000; i++) {
                int n = snprintf(expect, sizeof(expect), "%d;", i);
                ck_assert(gd_strbuf_append(&b, expect, (size_t) n));
                total += (size_t) n;
                ck_assert_uint_eq(b.len, total);
                ck_assert(b.cap > b.len); /* room for the terminator */
                ck_assert_int_eq(b.data[b.len], '\0');
        }
        /* the content is every piece in order */
        size_t at = 0;
        for (int i = 0; i < 100000; i++) {
                int n = snprintf(expect, sizeof(expect), "%d;", i);
                ck_assert_msg(memcmp(b.data + at, expect, (size_t) n) == 0, "piece %d differs", i);
                at += (size_t) n;
        }
        ck_assert_uint_eq(at, b.len);
        gd_strbuf_clear(&b);
        ck_assert_ptr_null(b.data);
        ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_strbuf_big_append)
{
        struct gd_strbuf b = {0};
        size_t n = 1000000;
        char *big = malloc(n);
        ck_assert_ptr_nonnull(big);
        memset(big, 'x', n);
        ck_assert(gd_strbuf_append(&b, "a", 1));
        ck_assert(gd_strbuf_append(&b, big, n));
        ck_assert(gd_strbuf_append(&b, "z", 1));
        ck_assert_uint_eq(b.len, n + 2);
        ck_assert_int_eq(b.data[0], 'a');
        ck_assert_int_eq(b.data[n], 'x');
        ck_assert_int_eq(b.data[n + 1], 'z');
        ck_assert_int_eq(b.data[n + 2], '\0');
        free(big);
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_strbuf_empty_append)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "", 0));
        ck_assert_ptr_nonnull(b.data);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_str_eq(b.data, "");
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_strbuf_reuse_after_reset)
{
        /* the export reuses its block: len = 0, then appends again */
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "first block", 11));
        size_t cap = b.cap;
        b.len = 0;
        ck_assert(gd_strbuf_append(&b, "2nd", 3));
        ck_assert_str_eq(b.data, "2nd");
        ck_assert_uint_eq(b.cap, cap);
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_strbuf_binary_bytes)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_strbuf_append(&b, "a\0b", 3));
        ck_assert_uint_eq(b.len, 3);
        ck_assert(memcmp(b.data, "a\0b", 4) == 0);
        gd_strbuf_clear(&b);
}
END_TEST

static Suite *csv_suite(void)
{
        Suite *s = suite_create("csv");
        TCase *tc;

        tc = tcase_create("cell");
        tcase_add_loop_test(tc, test_cell, 0, N(cell_cases));
        tcase_add_test(tc, test_cell_appends);
        tcase_add_test(tc, test_empty_cell_leaves_buffer_terminated);
        tcase_add_test(tc, test_cell_long_with_quotes);
        tcase_add_test(tc, test_cell_long_without_quotes);
        tcase_add_test(tc, test_cell_quotes_spread);
        suite_add_tcase(s, tc);

        tc = tcase_create("header");
        tcase_add_test(tc, test_header);
        tcase_add_test(tc, test_header_one_column);
        tcase_add_test(tc, test_header_quotes_like_cells);
        tcase_add_test(tc, test_header_no_columns);
        suite_add_tcase(s, tc);

        tc = tcase_create("strbuf");
        tcase_add_test(tc, test_strbuf_growth);
        tcase_add_test(tc, test_strbuf_big_append);
        tcase_add_test(tc, test_strbuf_empty_append);
        tcase_add_test(tc, test_strbuf_reuse_after_reset);
        tcase_add_test(tc, test_strbuf_binary_bytes);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(csv_suite()));
}
