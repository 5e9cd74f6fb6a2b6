/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/parse.h: the header and query-string checks of the HTTP layer. */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "guestd/cursor.h"
#include "guestd/parse.h"

#include "gd_check.h"

#define UUID "0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21"

static void make_cursor(const char *kind, const char *key, char out[GD_CURSOR_MAX_LEN])
{
        struct gd_cursor c = {.n = 3};
        strcpy(c.fields[0], kind);
        strcpy(c.fields[1], key);
        strcpy(c.fields[2], UUID);
        ck_assert(gd_cursor_encode(&c, out));
}

START_TEST(test_media_type)
{
        ck_assert(gd_parse_media_type_is("application/json", "application/json"));
        ck_assert(gd_parse_media_type_is(" Application/JSON ; charset=\"UTF-8\" ", "application/json"));
        ck_assert(!gd_parse_media_type_is("application/json; charset=latin1", "application/json"));
        ck_assert(!gd_parse_media_type_is("application/jsonx", "application/json"));
        ck_assert(!gd_parse_media_type_is("", "application/json"));
}
END_TEST

START_TEST(test_content_length)
{
        unsigned long long n = 0;
        ck_assert(gd_parse_content_length("1048577", &n));
        ck_assert_uint_eq(n, 1048577);
        ck_assert(!gd_parse_content_length("-1", &n));
        ck_assert(!gd_parse_content_length("12x", &n));
        /* an overlong number is refused as too large, not as malformed */
        ck_assert(gd_parse_content_length("99999999999999999999999", &n));
        ck_assert(n > 1048576);
}
END_TEST

START_TEST(test_if_match)
{
        ck_assert(gd_parse_if_match("\"7\"", 7));
        ck_assert(gd_parse_if_match("\"3\", \"7\"", 7));
        ck_assert(gd_parse_if_match("*", 7));
        ck_assert(!gd_parse_if_match("W/\"7\"", 7));
        ck_assert(!gd_parse_if_match("\"77\"", 7));
        ck_assert(!gd_parse_if_match(", ,\t,", 7));
        ck_assert(!gd_parse_if_match("", 7));
}
END_TEST

START_TEST(test_etag_listed_weak_for_if_none_match)
{
        /* If-None-Match compares weakly: W/"7" names the same version */
        ck_assert(gd_parse_etag_listed("W/\"7\"", "\"7\"", true));
        ck_assert(gd_parse_etag_listed("\"1\", W/\"7\"", "\"7\"", true));
        ck_assert(gd_parse_etag_listed("*", "\"7\"", true));
        ck_assert(!gd_parse_etag_listed("W/\"7\"", "\"7\"", false));
        ck_assert(!gd_parse_etag_listed("W/\"77\"", "\"7\"", true));
        ck_assert(!gd_parse_etag_listed("\"8\"", "\"7\"", true));
}
END_TEST

START_TEST(test_bearer)
{
        ck_assert_str_eq(gd_parse_bearer("Bearer gdk_x"), "gdk_x");
        ck_assert_str_eq(gd_parse_bearer("bearer    gdk_x"), "gdk_x");
        ck_assert_ptr_null(gd_parse_bearer("Basic gdk_x"));
        ck_assert_ptr_null(gd_parse_bearer("Bearer"));
        ck_assert_ptr_null(gd_parse_bearer(NULL));
}
END_TEST

START_TEST(test_limit)
{
        int v = 0;
        ck_assert(gd_parse_limit("500", 500, &v));
        ck_assert_int_eq(v, 500);
        ck_assert(!gd_parse_limit("501", 500, &v));
        ck_assert(!gd_parse_limit("0", 500, &v));
        ck_assert(!gd_parse_limit("", 500, &v));
        ck_assert(!gd_parse_limit("5 ", 500, &v));
        ck_assert(!gd_parse_limit("99999999999999999999", 500, &v));
}
END_TEST

/* Regression: strtol let " 5", "+5" and "05" through as pages of five. */
START_TEST(test_count_digits_only)
{
        static const char *const refused[] = {" 5", "\t5", "\n5", "+5", "-5", "-0", "05", "00", "005",
                                              "5 ", "0x5", "5.0", "1e2", "", "367", "9999999999999999999"};
        long v = -1;
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                ck_assert_msg(!gd_parse_count(refused[i], 366, &v), "\"%s\" was taken", refused[i]);
        ck_assert_int_eq(v, -1); /* nothing written on a refusal */
        ck_assert(gd_parse_count("0", 366, &v));
        ck_assert_int_eq(v, 0);
        ck_assert(gd_parse_count("366", 366, &v));
        ck_assert_int_eq(v, 366);
        ck_assert(gd_parse_count("10", 366, &v));
        ck_assert_int_eq(v, 10);
        ck_assert(!gd_parse_count("6", 5, &v));

        int limit = 0;
        ck_assert(!gd_parse_limit("05", 500, &limit));
        ck_assert(!gd_parse_limit("+5", 500, &limit));
        ck_assert(!gd_parse_limit(" 5", 500, &limit));
        ck_assert(gd_parse_limit("5", 500, &limit));
        ck_assert_int_eq(limit, 5);
}
END_TEST

START_TEST(test_cursor_accepts_what_the_server_makes)
{
        char text[GD_CURSOR_MAX_LEN];
        struct gd_cursor c;
        make_cursor("stays", "20512", text);
        ck_assert(gd_parse_cursor(text, "stays", true, &c));
        ck_assert_str_eq(c.fields[1], "20512");
        make_cursor("u", "-1764000000000000", text);
        ck_assert(gd_parse_cursor(text, "u", true, &c));
        make_cursor("q", "0.6666667", text);
        ck_assert(gd_parse_cursor(text, "q", false, &c));
        make_cursor("q", "1.5e-05", text);
        ck_assert(gd_parse_cursor(text, "q", false, &c));
        ck_assert(!gd_parse_cursor(text, "u", false, &c));
        ck_assert_uint_eq(c.n, 0);
}
END_TEST

/* Regression: an integer key past 64 bits passed (strtoll's overflow went unchecked) and reached
 * PostgreSQL, whose cast error answered 422 instead of the 400 of a bad cursor. */
START_TEST(test_cursor_integer_overflow_refused)
{
        char text[GD_CURSOR_MAX_LEN];
        struct gd_cursor c;
        make_cursor("u", "99999999999999999999", text);
        ck_assert(!gd_parse_cursor(text, "u", true, &c));
        make_cursor("u", "-99999999999999999999", text);
        ck_assert(!gd_parse_cursor(text, "u", true, &c));
        make_cursor("u", "9223372036854775807", text);
        ck_assert(gd_parse_cursor(text, "u", true, &c));
        make_cursor("u", " 12", text);
        ck_assert(!gd_parse_cursor(text, "u", true, &c));
        make_cursor("u", "+12", text);
        ck_assert(!gd_parse_cursor(text, "u", true, &c));
}
END_TEST

/* Regression: strtod also reads "nan", "inf", hex floats and leading spaces, none of which the
 * server ever writes into a cursor. */
START_TEST(test_cursor_number_forms_refused)
{
        static const char *const keys[] = {"nan", "inf", "-infinity", "0x1p3", " 1", "1e999", ""};
        char text[GD_CURSOR_MAX_LEN];
        struct gd_cursor c;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                make_cursor("q", keys[i], text);
                ck_assert_msg(!gd_parse_cursor(text, "q", false, &c), "key \"%s\" was accepted", keys[i]);
        }
}
END_TEST

/* Regression: the greeting feed bounded its day key with labs(strtol()), and labs(LONG_MIN) is
 * undefined (glibc returns it negative, so the bound let it through). */
START_TEST(test_key_within)
{
        ck_assert(gd_parse_key_within("100000", -100000, 100000));
        ck_assert(gd_parse_key_within("-100000", -100000, 100000));
        ck_assert(!gd_parse_key_within("100001", -100000, 100000));
        ck_assert(!gd_parse_key_within("-9223372036854775808", -100000, 100000));
        ck_assert(!gd_parse_key_within("-99999999999999999999", -100000, 100000));
        ck_assert(!gd_parse_key_within("1x", -100000, 100000));
}
END_TEST

/* Regression: edited keys that fit the text format but not PostgreSQL's types reached the database
 * and answered a bare 422: instants and dates out of range, reals that overflow or underflow. */
START_TEST(test_cursor_key_ranges)
{
        static const struct {
                const char *kind;
                enum gd_cursor_key type;
                const char *key;
                bool ok;
        } cases[] = {
                {"u", GD_CURSOR_KEY_MICROS, "1764000000000000", true},
                {"u", GD_CURSOR_KEY_MICROS, "-2208988800000000", true},  /* 1900-01-01 */
                {"u", GD_CURSOR_KEY_MICROS, "-62135596800000000", true}, /* 0001-01-01T00:00:00Z */
                {"u", GD_CURSOR_KEY_MICROS, "-62135596800000001", false},
                {"u", GD_CURSOR_KEY_MICROS, "253402300799999999", true}, /* 9999-12-31T23:59:59.999999Z */
                {"u", GD_CURSOR_KEY_MICROS, "253402300800000000", false},
                {"u", GD_CURSOR_KEY_MICROS, "9223372036854775807", false},
                {"u", GD_CURSOR_KEY_MICROS, "-9223372036854775807", false},
                {"stays", GD_CURSOR_KEY_DAYS, "20512", true},
                {"stays", GD_CURSOR_KEY_DAYS, "-719162", true}, /* 0001-01-01 */
                {"stays", GD_CURSOR_KEY_DAYS, "-719163", false},
                {"stays", GD_CURSOR_KEY_DAYS, "2932896", true}, /* 9999-12-31 */
                {"stays", GD_CURSOR_KEY_DAYS, "2932897", false},
                {"stays", GD_CURSOR_KEY_DAYS, "2147483648", false},
                {"history", GD_CURSOR_KEY_INTEGER, "9223372036854775807", true},
                {"history", GD_CURSOR_KEY_INTEGER, "-9223372036854775808", true},
                {"q", GD_CURSOR_KEY_RANK, "1", true},
                {"q", GD_CURSOR_KEY_RANK, "0", true},
                {"q", GD_CURSOR_KEY_RANK, "0.6666667", true},
                {"q", GD_CURSOR_KEY_RANK, "1.5e-05", true},
                {"q", GD_CURSOR_KEY_RANK, "1e39", false},
                {"q", GD_CURSOR_KEY_RANK, "-1e39", false},
                {"q", GD_CURSOR_KEY_RANK, "1e-50", false},
                {"q", GD_CURSOR_KEY_RANK, "3.4e38", false},
                {"q", GD_CURSOR_KEY_RANK, "1.0000001", false},
                {"q", GD_CURSOR_KEY_RANK, "-0.5", false},
                {"q", GD_CURSOR_KEY_RANK, "nan", false},
                {"vip", GD_CURSOR_KEY_DECIMAL, "87.5", true},
                {"u", GD_CURSOR_KEY_MICROS, "1.5", false}, /* not an integer */
        };
        char text[GD_CURSOR_MAX_LEN];
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct gd_cursor c;
                make_cursor(cases[i].kind, cases[i].key, text);
                bool got = gd_parse_cursor_of(text, cases[i].kind, cases[i].type, &c);
                ck_assert_msg(got == cases[i].ok, "%s key \"%s\": expected %s", cases[i].kind, cases[i].key,
                              cases[i].ok ? "taken" : "refused");
                ck_assert_uint_eq(c.n, got ? 3 : 0);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("parse");
        TCase *tc = tcase_create("headers");
        tcase_add_test(tc, test_media_type);
        tcase_add_test(tc, test_content_length);
        tcase_add_test(tc, test_if_match);
        tcase_add_test(tc, test_etag_listed_weak_for_if_none_match);
        tcase_add_test(tc, test_bearer);
        tcase_add_test(tc, test_limit);
        tcase_add_test(tc, test_count_digits_only);
        suite_add_tcase(s, tc);
        tc = tcase_create("cursor");
        tcase_add_test(tc, test_cursor_accepts_what_the_server_makes);
        tcase_add_test(tc, test_cursor_integer_overflow_refused);
        tcase_add_test(tc, test_cursor_number_forms_refused);
        tcase_add_test(tc, test_key_within);
        tcase_add_test(tc, test_cursor_key_ranges);
        suite_add_tcase(s, tc);
        return run_suites(srunner_create(s));
}
