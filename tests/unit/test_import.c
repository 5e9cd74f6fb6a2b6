/* SPDX-License-Identifier: MIT */
/* Bulk import, the pure part: the NDJSON line splitter in every chunking, and the check of one line. */
#include "gd_check.h"
#include "guestd/import.h"

/* ---- the splitter: lines collected as "N:text|" (overlong lines as "N:!len|") ---- */

struct seen {
        char out[4096];
        int stop_at; /* stop after this many lines (0: never) */
        int n;
};

static int collect(void *ctx, unsigned long long lineno, const char *line, size_t len)
{
        struct seen *s = ctx;
        size_t used = strlen(s->out);
        if (line)
                snprintf(s->out + used, sizeof(s->out) - used, "%llu:%.*s|", lineno, (int) len, line);
        else
                snprintf(s->out + used, sizeof(s->out) - used, "%llu:!%zu|", lineno, len);
        s->n++;
        return s->stop_at && s->n >= s->stop_at;
}

/* Feeds `in` in chunks of `chunk` bytes to a splitter with lines of at most max_line bytes. */
static void split(const char *in, size_t chunk, size_t max_line, struct seen *s)
{
        struct gd_lines l;
        ck_assert(gd_lines_init(&l, max_line));
        size_t len = strlen(in);
        for (size_t off = 0; off < len; off += chunk) {
                size_t n = len - off < chunk ? len - off : chunk;
                if (gd_lines_feed(&l, in + off, n, collect, s))
                        goto out;
        }
        gd_lines_finish(&l, collect, s);
        ck_assert_uint_eq(l.bytes, len);
out:
        gd_lines_clear(&l);
}

static const struct {
        const char *in;
        size_t max_line;
        const char *expect;
} split_cases[] = {
        {"a\nbb\nccc\n", 16, "1:a|2:bb|3:ccc|"},
        {"a\nbb", 16, "1:a|2:bb|"},                       /* no final newline */
        {"a\r\nbb\r\n", 16, "1:a|2:bb|"},                 /* CRLF */
        {"\n\na\n \t\n\r\nb\n", 16, "3:a|6:b|"},          /* blank lines skipped, counted */
        {"\xEF\xBB\xBF{}\n{}\n", 16, "1:{}|2:{}|"},       /* a byte order mark before line 1 */
        {"{}\n\xEF\xBB\xBF{}\n", 16, "1:{}|2:\xEF\xBB\xBF{}|"}, /* ...only there */
        {"12345678\nabc\n", 8, "1:12345678|2:abc|"},      /* exactly the limit */
        {"123456789\nabc\n", 8, "1:!9|2:abc|"},           /* one byte over */
        {"abc\n123456789012345678901234\nxy", 8, "1:abc|2:!24|3:xy|"},
        {"1234567890", 8, "1:!10|"},                      /* overlong and unterminated */
        {"", 8, ""},
};

START_TEST(test_split_any_chunking)
{
        /* every chunk size from one byte to the whole input gives the same lines */
        size_t len = strlen(split_cases[_i].in);
        for (size_t chunk = 1; chunk <= (len ? len : 1); chunk++) {
                struct seen s = {0};
                split(split_cases[_i].in, chunk, split_cases[_i].max_line, &s);
                ck_assert_msg(strcmp(s.out, split_cases[_i].expect) == 0, "case %d, chunk %zu: got %s, want %s", _i,
                              chunk, s.out, split_cases[_i].expect);
        }
}
END_TEST

START_TEST(test_split_stops_when_asked)
{
        struct seen s = {.stop_at = 2};
        split("a\nb\nc\nd\n", 3, 16, &s);
        ck_assert_str_eq(s.out, "1:a|2:b|");
}
END_TEST

START_TEST(test_split_long_input_in_constant_memory)
{
        /* 20,000 lines through a 64-byte buffer, in 7-byte chunks */
        char *in = repeat("{\"family_name\":\"X\"}\n", 20000);
        struct gd_lines l;
        ck_assert(gd_lines_init(&l, 64));
        struct seen s = {0};
        s.stop_at = 0;
        size_t len = strlen(in);
        for (size_t off = 0; off < len; off += 7)
                gd_lines_feed(&l, in + off, len - off < 7 ? len - off : 7, collect, &s);
        gd_lines_finish(&l, collect, &s);
        ck_assert_int_eq(s.n, 20000);
        ck_assert_uint_eq(l.lineno, 20001);
        gd_lines_clear(&l);
        free(in);
}
END_TEST

/* ---- one line ---- */

/* 2026-11-27T12:00:00Z */
static const time_t now = 1795780800;

static enum gd_err check_line(const char *line, json_t **item, struct gd_error *err)
{
        *item = NULL;
        return gd_import_line(line, strlen(line), 7, now, item, err);
}

START_TEST(test_line_valid_with_sections)
{
        json_t *item;
        struct gd_error err = {0};
        ck_assert_int_eq(check_line("{\"family_name\":\"Rossi\",\"email\":null,"
                                    "\"external_refs\":[{\"system\":\"pms\",\"id\":\"1\"}],"
                                    "\"stays\":[{\"check_in\":\"2025-01-01\",\"check_out\":\"2025-01-03\"}],"
                                    "\"consumptions\":[{\"occurred_at\":\"2025-01-02T10:00:00Z\",\"category\":\"bar\","
                                    "\"amount\":12.5,\"currency\":\"EUR\"}]}",
                                    &item, &err),
                         GD_OK);
        ck_assert_int_eq(json_integer_value(json_object_get(item, "n")), 7);
        json_t *guest = json_object_get(item, "guest");
        ck_assert_str_eq(json_string_value(json_object_get(guest, "family_name")), "Rossi");
        ck_assert(json_object_get(guest, "stays") == NULL);
        /* absent: what the line left out (email was named, as null: it is not absent) */
        json_t *absent = json_object_get(item, "absent");
        bool has_phone = false, has_email = false, has_family = false;
        size_t i;
        json_t *v;
        json_array_foreach (absent, i, v) {
                has_phone |= strcmp(json_string_value(v), "phone") == 0;
                has_email |= strcmp(json_string_value(v), "email") == 0;
                has_family |= strcmp(json_string_value(v), "family_name") == 0;
        }
        ck_assert(has_phone && !has_email && !has_family);
        json_t *sections = json_object_get(item, "sections");
        ck_assert_uint_eq(json_array_size(json_object_get(sections, "stays")), 1);
        /* decimals become exact decimal text, as the section POSTs pass them on */
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(sections, "consumptions"), 0),
                                                           "amount")),
                         "12.5");
        json_decref(item);
}
END_TEST

static const struct {
        const char *line;
        enum gd_err code;
        const char *pointer; /* one of the reported fields ("" = none expected) */
} bad_lines[] = {
        {"{not json", GD_ERR_BAD_JSON, ""},
        {"[1,2]", GD_ERR_INVALID, ""},
        {"{\"family_name\":\"X\"}", GD_ERR_INVALID, "/external_refs"},
        {"{\"family_name\":\"X\",\"external_refs\":[]}", GD_ERR_INVALID, "/external_refs"},
        {"{\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}]}", GD_ERR_INVALID, "/family_name"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],\"birth_date\":\"2999-01-01\"}",
         GD_ERR_INVALID, "/birth_date"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],\"bogus\":1}", GD_ERR_INVALID,
         "/bogus"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],\"id\":\"x\"}", GD_ERR_INVALID,
         "/id"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],\"stays\":{}}", GD_ERR_INVALID,
         "/stays"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],"
         "\"stays\":[{\"check_in\":\"2025-01-01\",\"check_out\":\"2025-01-03\"},"
         "{\"check_in\":\"2025-01-05\",\"check_out\":\"2025-01-01\"}]}",
         GD_ERR_INVALID, "/stays/1/check_out"},
        {"{\"family_name\":\"X\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}],"
         "\"complaints\":[{\"category\":\"noise\"}]}",
         GD_ERR_INVALID, "/complaints/0/severity"},
        {"{\"family_name\":\"X\",\"family_name\":\"Y\",\"external_refs\":[{\"system\":\"p\",\"id\":\"1\"}]}",
         GD_ERR_BAD_JSON, ""},
};

START_TEST(test_line_refused)
{
        json_t *item;
        struct gd_error err = {0};
        ck_assert_int_eq(check_line(bad_lines[_i].line, &item, &err), bad_lines[_i].code);
        ck_assert_ptr_null(item);
        if (bad_lines[_i].pointer[0]) {
                char got[512];
                describe_pointers(&err, got, sizeof(got));
                ck_assert_msg(has_pointer(&err, bad_lines[_i].pointer), "case %d: fields %s", _i, got);
        }
}
END_TEST

static Suite *import_suite(void)
{
        Suite *s = suite_create("import");
        TCase *tc = tcase_create("lines");
        tcase_add_loop_test(tc, test_split_any_chunking, 0, N(split_cases));
        tcase_add_test(tc, test_split_stops_when_asked);
        tcase_add_test(tc, test_split_long_input_in_constant_memory);
        suite_add_tcase(s, tc);
        tc = tcase_create("line");
        tcase_add_test(tc, test_line_valid_with_sections);
        tcase_add_loop_test(tc, test_line_refused, 0, N(bad_lines));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(import_suite()));
}
