/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/date.h: leap years, strict parsing, formatting and day arithmetic. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guestd/date.h"

#include "gd_check.h"

/* ---- leap years and month lengths ---- */

static const struct {
        int year;
        int leap;
} leap_cases[] = {
        { 1900, 0 }, { 2000, 1 }, { 2024, 1 }, { 2100, 0 }, { 2023, 0 },
        { 1996, 1 }, { 1600, 1 }, { 1700, 0 }, { 2400, 1 }, { 2026, 0 },
};

START_TEST(test_leap_year)
{
        int y = leap_cases[_i].year;

        ck_assert_msg(gd_date_is_leap_year(y) == (leap_cases[_i].leap != 0), "leap year %d: expected %s", y,
                      leap_cases[_i].leap ? "leap" : "common");
}
END_TEST

static const struct {
        int year, month, days;
} dim_cases[] = {
        { 2023, 1, 31 },  { 2023, 2, 28 },  { 2024, 2, 29 }, { 1900, 2, 28 }, { 2000, 2, 29 },
        { 2100, 2, 28 },  { 2023, 3, 31 },  { 2023, 4, 30 }, { 2023, 5, 31 }, { 2023, 6, 30 },
        { 2023, 7, 31 },  { 2023, 8, 31 },  { 2023, 9, 30 }, { 2023, 10, 31 }, { 2023, 11, 30 },
        { 2023, 12, 31 },
};

START_TEST(test_days_in_month)
{
        int got = gd_date_days_in_month(dim_cases[_i].year, dim_cases[_i].month);

        ck_assert_msg(got == dim_cases[_i].days, "%04d-%02d: expected %d days, got %d", dim_cases[_i].year,
                      dim_cases[_i].month, dim_cases[_i].days, got);
}
END_TEST

/* ---- parsing ---- */

static const struct {
        const char *s;
        int year, month, day;
} parse_ok[] = {
        { "2024-02-29", 2024, 2, 29 }, { "2000-02-29", 2000, 2, 29 }, { "1900-01-01", 1900, 1, 1 },
        { "1970-01-01", 1970, 1, 1 },  { "2023-04-30", 2023, 4, 30 }, { "2024-12-31", 2024, 12, 31 },
        { "9999-12-31", 9999, 12, 31 }, { "2026-06-15", 2026, 6, 15 },
};

START_TEST(test_parse_accepts)
{
        struct gd_date d = { 0, 0, 0 };

        ck_assert_msg(gd_date_parse(parse_ok[_i].s, &d), "\"%s\" should parse", parse_ok[_i].s);
        ck_assert_int_eq(d.year, parse_ok[_i].year);
        ck_assert_int_eq(d.month, parse_ok[_i].month);
        ck_assert_int_eq(d.day, parse_ok[_i].day);
}
END_TEST

static const char *const parse_bad[] = {
        "2023-02-29",          /* not a leap year */
        "1900-02-29",          /* century, not a leap year */
        "2100-02-29",          /* century, not a leap year */
        "2024-13-01",          /* month 13 */
        "2024-00-10",          /* month 0 */
        "2024-01-00",          /* day 0 */
        "2024-01-32",          /* day 32 */
        "2024-04-31",          /* April has 30 days */
        "2024-1-01",           /* one-digit month */
        "2024-01-1",           /* one-digit day */
        "24-01-01",            /* two-digit year */
        "2024-01-01x",         /* trailing garbage */
        "2024-01-01 ",         /* trailing space */
        " 2024-01-01",         /* leading space */
        "2024-01-01T00:00:00Z", /* a timestamp, not a date */
        "2024/01/01",          /* wrong separator */
        "20240101",            /* basic format */
        "",                    /* empty */
        "abcd-ef-gh",          /* not digits */
        "2024-0a-01",          /* letter in month */
        "+2024-01-01",         /* sign */
        "-2024-01-01",         /* sign */
};

START_TEST(test_parse_rejects)
{
        struct gd_date d = { 0, 0, 0 };

        ck_assert_msg(!gd_date_parse(parse_bad[_i], &d), "\"%s\" should be rejected", parse_bad[_i]);
}
END_TEST

/* STYLE §3: ret_ out-parameters are written only on success. */
START_TEST(test_parse_failure_keeps_ret)
{
        struct gd_date d = { 1234, 5, 6 };

        ck_assert(!gd_date_parse("2023-02-29", &d));
        ck_assert_int_eq(d.year, 1234);
        ck_assert_int_eq(d.month, 5);
        ck_assert_int_eq(d.day, 6);
}
END_TEST

/* ---- formatting ---- */

START_TEST(test_format_roundtrip)
{
        struct gd_date d = { 0, 0, 0 };
        char out[11];

        ck_assert(gd_date_parse(parse_ok[_i].s, &d));
        memset(out, 'X', sizeof(out));
        gd_date_format(&d, out);
        ck_assert_str_eq(out, parse_ok[_i].s);
}
END_TEST

START_TEST(test_format_pads)
{
        struct gd_date d = { 2024, 3, 5 };
        struct gd_date early = { 1901, 1, 9 };
        char out[11];

        gd_date_format(&d, out);
        ck_assert_str_eq(out, "2024-03-05");
        gd_date_format(&early, out);
        ck_assert_str_eq(out, "1901-01-09");
}
END_TEST

/* ---- Unix time and day numbers ---- */

static const struct {
        long long t;
        int year, month, day;
} unix_cases[] = {
        { 0LL, 1970, 1, 1 },
        { 86399LL, 1970, 1, 1 },
        { 86400LL, 1970, 1, 2 },
        { 951782400LL, 2000, 2, 29 },
        { 951868799LL, 2000, 2, 29 },
        { 951868800LL, 2000, 3, 1 },
        { 1709164799LL, 2024, 2, 28 },
        { 1709164800LL, 2024, 2, 29 },
        { -1LL, 1969, 12, 31 },
        { -86400LL, 1969, 12, 31 },
        { -86401LL, 1969, 12, 30 },
        { -2208988800LL, 1900, 1, 1 },
};

START_TEST(test_from_unix)
{
        struct gd_date d = gd_date_from_unix((time_t)unix_cases[_i].t);

        ck_assert_msg(d.year == unix_cases[_i].year && d.month == unix_cases[_i].month &&
                              d.day == unix_cases[_i].day,
                      "t=%lld: expected %04d-%02d-%02d, got %04d-%02d-%02d", unix_cases[_i].t,
                      unix_cases[_i].year, unix_cases[_i].month, unix_cases[_i].day, d.year, d.month, d.day);
}
END_TEST

static const struct {
        struct gd_date d;
        long days;
} days_cases[] = {
        { { 1970, 1, 1 }, 0L },         { { 1970, 1, 2 }, 1L },       { { 2000, 3, 1 }, 11017L },
        { { 2000, 2, 29 }, 11016L },    { { 2024, 2, 29 }, 19782L },  { { 2026, 6, 15 }, 20619L },
        { { 1969, 12, 31 }, -1L },      { { 1900, 1, 1 }, -25567L },  { { 1600, 3, 1 }, -135080L },
        { { 9999, 12, 31 }, 2932896L },
};

START_TEST(test_to_days)
{
        long got = gd_date_to_days(&days_cases[_i].d);

        ck_assert_msg(got == days_cases[_i].days, "%04d-%02d-%02d: expected %ld, got %ld", days_cases[_i].d.year,
                      days_cases[_i].d.month, days_cases[_i].d.day, days_cases[_i].days, got);
}
END_TEST

/* Every day from 1899-01-01 to 2101-12-31: from_unix(to_days(d) * 86400) gives d back, consecutive. */
START_TEST(test_days_consistency)
{
        struct gd_date d = { 1899, 1, 1 };
        long prev = gd_date_to_days(&d) - 1;

        for (; d.year <= 2101;) {
                long n = gd_date_to_days(&d);
                struct gd_date back = gd_date_from_unix((time_t)n * 86400);

                ck_assert_msg(n == prev + 1, "%04d-%02d-%02d: day number %ld does not follow %ld", d.year,
                              d.month, d.day, n, prev);
                ck_assert_msg(back.year == d.year && back.month == d.month && back.day == d.day,
                              "%04d-%02d-%02d -> %ld -> %04d-%02d-%02d", d.year, d.month, d.day, n, back.year,
                              back.month, back.day);
                prev = n;
                if (++d.day > gd_date_days_in_month(d.year, d.month)) {
                        d.day = 1;
                        if (++d.month > 12) {
                                d.month = 1;
                                d.year++;
                        }
                }
        }
}
END_TEST

/* ---- comparison ---- */

static int sign(int x)
{
        return (x > 0) - (x < 0);
}

static const struct {
        struct gd_date a, b;
        int expected;
} cmp_cases[] = {
        { { 2024, 1, 1 }, { 2024, 1, 1 }, 0 },    { { 2024, 1, 1 }, { 2024, 1, 2 }, -1 },
        { { 2024, 1, 2 }, { 2024, 1, 1 }, 1 },    { { 2024, 1, 31 }, { 2024, 2, 1 }, -1 },
        { { 2024, 12, 1 }, { 2024, 2, 28 }, 1 },  { { 2023, 12, 31 }, { 2024, 1, 1 }, -1 },
        { { 2025, 1, 1 }, { 2024, 12, 31 }, 1 },  { { 1900, 1, 1 }, { 1899, 12, 31 }, 1 },
};

START_TEST(test_compare)
{
        int got = gd_date_compare(&cmp_cases[_i].a, &cmp_cases[_i].b);
        int back = gd_date_compare(&cmp_cases[_i].b, &cmp_cases[_i].a);

        ck_assert_int_eq(sign(got), cmp_cases[_i].expected);
        ck_assert_int_eq(sign(back), -cmp_cases[_i].expected);
}
END_TEST

static Suite *date_suite(void)
{
        Suite *s = suite_create("date");
        TCase *tc;

        tc = tcase_create("leap");
        tcase_add_loop_test(tc, test_leap_year, 0, N(leap_cases));
        tcase_add_loop_test(tc, test_days_in_month, 0, N(dim_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("parse");
        tcase_add_loop_test(tc, test_parse_accepts, 0, N(parse_ok));
        tcase_add_loop_test(tc, test_parse_rejects, 0, N(parse_bad));
        tcase_add_test(tc, test_parse_failure_keeps_ret);
        suite_add_tcase(s, tc);

        tc = tcase_create("format");
        tcase_add_loop_test(tc, test_format_roundtrip, 0, N(parse_ok));
        tcase_add_test(tc, test_format_pads);
        suite_add_tcase(s, tc);

        tc = tcase_create("days");
        tcase_add_loop_test(tc, test_from_unix, 0, N(unix_cases));
        tcase_add_loop_test(tc, test_to_days, 0, N(days_cases));
        tcase_add_test(tc, test_days_consistency);
        suite_add_tcase(s, tc);

        tc = tcase_create("compare");
        tcase_add_loop_test(tc, test_compare, 0, N(cmp_cases));
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(date_suite()));
}
