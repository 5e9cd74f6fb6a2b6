/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/prom.h: the Prometheus text format writer. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "guestd/prom.h"

#include "gd_check.h"

#define TEXT(w) ((w).text.data ? (w).text.data : "")

struct value_case {
        double v;
        const char *text;
};

static const struct value_case value_cases[] = {
        {0, "0"},
        {1, "1"},
        {-3, "-3"},
        {1234567, "1234567"},
        {0.0005, "0.0005"},
        {0.1, "0.1"},
        {2.5, "2.5"},
        {1.0 / 3.0, "0.3333333333333333"},
        {1e-7, "1e-07"},
        {1e20, "1e+20"},
        {9007199254740991.0, "9007199254740991"},
};

START_TEST(test_value)
{
        char out[32];
        gd_prom_format_value(value_cases[_i].v, out);
        ck_assert_str_eq(out, value_cases[_i].text);
        /* whatever the form, it reads back as the same number */
        ck_assert(strtod(out, NULL) == value_cases[_i].v);
}
END_TEST

START_TEST(test_value_special)
{
        char out[32];
        gd_prom_format_value(INFINITY, out);
        ck_assert_str_eq(out, "+Inf");
        gd_prom_format_value(-INFINITY, out);
        ck_assert_str_eq(out, "-Inf");
        gd_prom_format_value(NAN, out);
        ck_assert_str_eq(out, "NaN");
}
END_TEST

START_TEST(test_family_lines)
{
        struct gd_prom w;
        gd_prom_init(&w);
        gd_prom_family(&w, "guestd_x_total", "counter", "Things counted.");
        ck_assert_str_eq(TEXT(w), "# HELP guestd_x_total Things counted.\n# TYPE guestd_x_total counter\n");
        ck_assert(!w.failed);
        gd_prom_free(&w);
}
END_TEST

/* HELP escapes backslash and line feed, but a quote stays as it is */
START_TEST(test_help_escaping)
{
        struct gd_prom w;
        gd_prom_init(&w);
        gd_prom_family(&w, "m", "gauge", "a \\ b \"c\"\nd");
        ck_assert_str_eq(TEXT(w), "# HELP m a \\\\ b \"c\"\\nd\n# TYPE m gauge\n");
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_sample_without_labels)
{
        struct gd_prom w;
        gd_prom_init(&w);
        gd_prom_sample(&w, "up", NULL, 0, 1);
        gd_prom_sample(&w, "ratio", NULL, 0, 0.25);
        ck_assert_str_eq(TEXT(w), "up 1\nratio 0.25\n");
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_sample_labels)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const struct gd_prom_label l[] = {{"route", "/v1/guests/{id}"}, {"method", "GET"}, {"status", "200"}};
        gd_prom_sample_u64(&w, "guestd_http_requests_total", l, 3, 42);
        ck_assert_str_eq(TEXT(w),
                         "guestd_http_requests_total{route=\"/v1/guests/{id}\",method=\"GET\",status=\"200\"} 42\n");
        gd_prom_free(&w);
}
END_TEST

struct escape_case {
        const char *value, *written;
};

static const struct escape_case escape_cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a\"b", "a\\\"b"},
        {"back\\slash", "back\\\\slash"},
        {"line\nfeed", "line\\nfeed"},
        {"\\n", "\\\\n"}, /* a backslash then an n: not a line feed */
        {"\"\\\n", "\\\"\\\\\\n"},
        {"Müller {x}", "Müller {x}"}, /* UTF-8 and braces pass as they are */
        {"tab\there", "tab\there"},
};

START_TEST(test_label_escaping)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const struct gd_prom_label l[] = {{"v", escape_cases[_i].value}};
        gd_prom_sample(&w, "m", l, 1, 1);
        char expected[128];
        snprintf(expected, sizeof(expected), "m{v=\"%s\"} 1\n", escape_cases[_i].written);
        ck_assert_str_eq(TEXT(w), expected);
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_null_label_value_is_empty)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const struct gd_prom_label l[] = {{"v", NULL}};
        gd_prom_sample(&w, "m", l, 1, 1);
        ck_assert_str_eq(TEXT(w), "m{v=\"\"} 1\n");
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_u64_beyond_double)
{
        struct gd_prom w;
        gd_prom_init(&w);
        gd_prom_sample_u64(&w, "c", NULL, 0, UINT64_MAX);
        ck_assert_str_eq(TEXT(w), "c 18446744073709551615\n");
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_histogram_cumulative)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const double bounds[] = {0.001, 0.01, 0.1};
        const uint64_t counts[] = {3, 0, 2, 1}; /* the last: above 0.1 */
        const struct gd_prom_label l[] = {{"route", "/healthz"}, {"method", "GET"}};
        gd_prom_histogram(&w, "h_seconds", l, 2, bounds, counts, 3, 0.5625);
        ck_assert_str_eq(TEXT(w),
                         "h_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.001\"} 3\n"
                         "h_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.01\"} 3\n"
                         "h_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.1\"} 5\n"
                         "h_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"} 6\n"
                         "h_seconds_sum{route=\"/healthz\",method=\"GET\"} 0.5625\n"
                         "h_seconds_count{route=\"/healthz\",method=\"GET\"} 6\n");
        gd_prom_free(&w);
}
END_TEST

START_TEST(test_histogram_without_labels)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const double bounds[] = {1};
        const uint64_t counts[] = {0, 0};
        gd_prom_histogram(&w, "h", NULL, 0, bounds, counts, 1, 0);
        ck_assert_str_eq(TEXT(w), "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
        gd_prom_free(&w);
}
END_TEST

/* Only observations above the highest bound: every finite bucket 0, +Inf and _count the total. */
START_TEST(test_histogram_all_above)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const double bounds[] = {0.0005, 5};
        const uint64_t counts[] = {0, 0, 7};
        gd_prom_histogram(&w, "h", NULL, 0, bounds, counts, 2, 70);
        ck_assert_str_eq(TEXT(w), "h_bucket{le=\"0.0005\"} 0\nh_bucket{le=\"5\"} 0\nh_bucket{le=\"+Inf\"} 7\n"
                                  "h_sum 70\nh_count 7\n");
        gd_prom_free(&w);
}
END_TEST

/* A label value that escapes in the histogram's series too. */
START_TEST(test_histogram_escapes_labels)
{
        struct gd_prom w;
        gd_prom_init(&w);
        const double bounds[] = {1};
        const uint64_t counts[] = {1, 0};
        const struct gd_prom_label l[] = {{"r", "a\"b"}};
        gd_prom_histogram(&w, "h", l, 1, bounds, counts, 1, 0.5);
        ck_assert_str_eq(TEXT(w), "h_bucket{r=\"a\\\"b\",le=\"1\"} 1\nh_bucket{r=\"a\\\"b\",le=\"+Inf\"} 1\n"
                                  "h_sum{r=\"a\\\"b\"} 0.5\nh_count{r=\"a\\\"b\"} 1\n");
        gd_prom_free(&w);
}
END_TEST

/* Growth past the first allocation keeps every line. */
START_TEST(test_many_lines)
{
        struct gd_prom w;
        gd_prom_init(&w);
        for (int i = 0; i < 5000; i++)
                gd_prom_sample(&w, "m", NULL, 0, i);
        ck_assert(!w.failed);
        const char *p = TEXT(w);
        int lines = 0;
        for (; *p; p++)
                lines += *p == '\n';
        ck_assert_int_eq(lines, 5000);
        ck_assert(strstr(TEXT(w), "\nm 4999\n") != NULL);
        gd_prom_free(&w);
}
END_TEST

static Suite *prom_suite(void)
{
        Suite *s = suite_create("prom");
        TCase *tc = tcase_create("values");
        tcase_add_loop_test(tc, test_value, 0, N(value_cases));
        tcase_add_test(tc, test_value_special);
        suite_add_tcase(s, tc);

        tc = tcase_create("lines");
        tcase_add_test(tc, test_family_lines);
        tcase_add_test(tc, test_help_escaping);
        tcase_add_test(tc, test_sample_without_labels);
        tcase_add_test(tc, test_sample_labels);
        tcase_add_loop_test(tc, test_label_escaping, 0, N(escape_cases));
        tcase_add_test(tc, test_null_label_value_is_empty);
        tcase_add_test(tc, test_u64_beyond_double);
        tcase_add_test(tc, test_many_lines);
        suite_add_tcase(s, tc);

        tc = tcase_create("histogram");
        tcase_add_test(tc, test_histogram_cumulative);
        tcase_add_test(tc, test_histogram_without_labels);
        tcase_add_test(tc, test_histogram_all_above);
        tcase_add_test(tc, test_histogram_escapes_labels);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(prom_suite()));
}
