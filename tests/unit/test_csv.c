/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/csv.h: RFC 4180 cells, formula-injection prefix, rows from JSON, the buffer. */
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

/* ---- rows ---- */

static char *row_of(const char *json, const char *const *cols)
{
        json_t *item = parse_flags(json, JSON_DECODE_ANY);
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_row(&b, item, cols));
        json_decref(item);
        char *out = strdup(b.data);
        gd_strbuf_clear(&b);
        return out;
}

START_TEST(test_row_types)
{
        static const char *const cols[] = {"s", "i", "neg", "r", "whole", "t", "f", "n", "missing", NULL};
        char *got = row_of("{\"s\": \"text\", \"i\": 42, \"neg\": 7, \"r\": 55.3, \"whole\": 20.0, \"t\": true,"
                           " \"f\": false, \"n\": null}",
                           cols);
        ck_assert_str_eq(got, "text,42,7,55.3,20,true,false,,\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_negative_numbers_are_prefixed)
{
        /* a negative number starts with '-', so it gets the apostrophe like any other cell */
        static const char *const cols[] = {"i", "r", NULL};
        char *got = row_of("{\"i\": -3, \"r\": -0.5}", cols);
        ck_assert_str_eq(got, "'-3,'-0.5\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_reals_round_trip)
{
        static const char *const cols[] = {"a", "b", "c", "d", NULL};
        char *got = row_of("{\"a\": 0.1, \"b\": 99.9, \"c\": 100.0, \"d\": 0.0}", cols);
        ck_assert_str_eq(got, "0.1,99.9,100,0\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_large_integer)
{
        static const char *const cols[] = {"big", NULL};
        char *got = row_of("{\"big\": 9007199254740993}", cols);
        ck_assert_str_eq(got, "9007199254740993\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_strings_are_escaped)
{
        static const char *const cols[] = {"a", "b", "c", "d", NULL};
        char *got = row_of("{\"a\": \"O'Brien, Jr.\", \"b\": \"say \\\"hi\\\"\", \"c\": \"l1\\nl2\", \"d\": \"=1+1\"}",
                           cols);
        ck_assert_str_eq(got, "\"O'Brien, Jr.\",\"say \"\"hi\"\"\",\"l1\nl2\",'=1+1\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_nested)
{
        static const char *const cols[] = {"id", "next_occasion.kind", "next_occasion.date", "next_occasion.label",
                                           "next_occasion.missing", NULL};
        char *got = row_of("{\"id\": \"g1\", \"next_occasion\": {\"kind\": \"birthday\", \"date\": \"2026-12-01\","
                           " \"label\": null}}",
                           cols);
        ck_assert_str_eq(got, "g1,birthday,2026-12-01,,\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_nested_absent_or_null_or_not_object)
{
        static const char *const cols[] = {"id", "o.kind", "o.date", NULL};
        const char *docs[] = {"{\"id\": 1}", "{\"id\": 1, \"o\": null}", "{\"id\": 1, \"o\": \"text\"}",
                              "{\"id\": 1, \"o\": [1, 2]}", "{\"id\": 1, \"o\": {}}"};
        for (int i = 0; i < N(docs); i++) {
                char *got = row_of(docs[i], cols);
                ck_assert_msg(strcmp(got, "1,,\r\n") == 0, "%s: got [%s]", docs[i], got);
                free(got);
        }
}
END_TEST

START_TEST(test_row_objects_and_arrays_are_empty)
{
        static const char *const cols[] = {"o", "a", "x", NULL};
        char *got = row_of("{\"o\": {\"k\": 1}, \"a\": [1], \"x\": \"y\"}", cols);
        ck_assert_str_eq(got, ",,y\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_all_missing)
{
        static const char *const cols[] = {"a", "b", "c", NULL};
        char *got = row_of("{}", cols);
        ck_assert_str_eq(got, ",,\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_header_and_rows_parse_back)
{
        /* header + two rows in one buffer: each line ends with CRLF, rows appended in order */
        static const char *const cols[] = {"id", "name", "n.k", NULL};
        struct gd_strbuf b = {0};
        ck_assert(gd_csv_header(&b, cols));
        json_t *r1 = json_pack("{s:s, s:s, s:{s:s}}", "id", "1", "name", "a,b", "n", "k", "v");
        json_t *r2 = json_pack("{s:s, s:s}", "id", "2", "name", "@c");
        ck_assert(gd_csv_row(&b, r1, cols));
        ck_assert(gd_csv_row(&b, r2, cols));
        ck_assert_str_eq(b.data, "id,name,n.k\r\n1,\"a,b\",v\r\n2,'@c,\r\n");
        json_decref(r1);
        json_decref(r2);
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
        suite_add_tcase(s, tc);

        tc = tcase_create("header");
        tcase_add_test(tc, test_header);
        tcase_add_test(tc, test_header_one_column);
        tcase_add_test(tc, test_header_quotes_like_cells);
        tcase_add_test(tc, test_header_no_columns);
        suite_add_tcase(s, tc);

        tc = tcase_create("row");
        tcase_add_test(tc, test_row_types);
        tcase_add_test(tc, test_row_negative_numbers_are_prefixed);
        tcase_add_test(tc, test_row_reals_round_trip);
        tcase_add_test(tc, test_row_large_integer);
        tcase_add_test(tc, test_row_strings_are_escaped);
        tcase_add_test(tc, test_row_nested);
        tcase_add_test(tc, test_row_nested_absent_or_null_or_not_object);
        tcase_add_test(tc, test_row_objects_and_arrays_are_empty);
        tcase_add_test(tc, test_row_all_missing);
        tcase_add_test(tc, test_row_header_and_rows_parse_back);
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
