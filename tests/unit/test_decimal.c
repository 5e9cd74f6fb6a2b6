/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/decimal.h: parsing of JSON numbers and strings, exact comparison with bounds. */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"

#include "gd_check.h"

/* ---- gd_decimal_parse ---- */

static const struct {
        const char *json;
        unsigned digits, scale;
        enum gd_decimal_status status;
        const char *text; /* on success; NULL: not checked */
} parse_cases[] = {
        /* strings */
        { "\"245.5\"", 12, 2, GD_DECIMAL_OK, "245.5" },
        { "\"245.50\"", 12, 2, GD_DECIMAL_OK, NULL },
        { "\"245\"", 12, 2, GD_DECIMAL_OK, "245" },
        { "\"0\"", 12, 2, GD_DECIMAL_OK, "0" },
        { "\"0.25\"", 12, 2, GD_DECIMAL_OK, "0.25" },
        { "\"-3\"", 12, 2, GD_DECIMAL_OK, "-3" },
        { "\"-0\"", 12, 2, GD_DECIMAL_OK, "0" },
        { "\"999999999999.99\"", 12, 2, GD_DECIMAL_OK, "999999999999.99" },
        { "\"1000000000000\"", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "\"1000000000000.5\"", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "\"245.505\"", 12, 2, GD_DECIMAL_TOO_PRECISE, NULL },
        { "\"0.001\"", 12, 2, GD_DECIMAL_TOO_PRECISE, NULL },
        { "\"0.1234\"", 12, 4, GD_DECIMAL_OK, "0.1234" },
        { "\"0.12345\"", 12, 4, GD_DECIMAL_TOO_PRECISE, NULL },
        { "\"1.0001\"", 12, 4, GD_DECIMAL_OK, "1.0001" },
        { "\"7\"", 1, 0, GD_DECIMAL_OK, "7" },
        { "\"10\"", 1, 0, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "\"0.5\"", 1, 0, GD_DECIMAL_TOO_PRECISE, NULL },
        { "\"000000000000001\"", 12, 2, GD_DECIMAL_OK, NULL }, /* leading zeros are not digits */
        { "\"abc\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"-\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"245.\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\".5\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"+5\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\" 5\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"5 \"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"5,00\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"1e2\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"--5\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"1.2.3\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"NaN\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "\"0x10\"", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        /* integers */
        { "0", 12, 2, GD_DECIMAL_OK, "0" },
        { "100", 12, 2, GD_DECIMAL_OK, "100" },
        { "-1", 12, 2, GD_DECIMAL_OK, "-1" },
        { "999999999999", 12, 2, GD_DECIMAL_OK, "999999999999" },
        { "1234567890123", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "-1234567890123", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "9223372036854775807", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        /* reals: the shortest decimal that is exactly the double */
        { "245.5", 12, 2, GD_DECIMAL_OK, "245.5" },
        { "245.50", 12, 2, GD_DECIMAL_OK, "245.5" },
        { "0.1", 12, 2, GD_DECIMAL_OK, "0.1" },
        { "0.01", 12, 2, GD_DECIMAL_OK, "0.01" },
        { "19.99", 12, 2, GD_DECIMAL_OK, "19.99" },
        { "0.15", 12, 4, GD_DECIMAL_OK, "0.15" },
        { "0.0001", 12, 4, GD_DECIMAL_OK, "0.0001" },
        { "1.0001", 12, 2, GD_DECIMAL_TOO_PRECISE, NULL },
        { "1.0001", 12, 4, GD_DECIMAL_OK, "1.0001" },
        { "1e2", 12, 2, GD_DECIMAL_OK, "100" },
        { "1E2", 12, 2, GD_DECIMAL_OK, "100" },
        { "2.5e1", 12, 2, GD_DECIMAL_OK, "25" },
        { "1.0", 12, 2, GD_DECIMAL_OK, "1" },
        { "1e-2", 12, 2, GD_DECIMAL_OK, "0.01" },
        { "1e-3", 12, 2, GD_DECIMAL_TOO_PRECISE, NULL },
        { "123456789012.25", 12, 2, GD_DECIMAL_OK, "123456789012.25" }, /* 12 digits, 14 significant */
        { "999999999999.99", 12, 2, GD_DECIMAL_OK, "999999999999.99" },
        { "1234567890123.0", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "1e15", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "-1e15", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "1e300", 12, 2, GD_DECIMAL_TOO_MANY_DIGITS, NULL },
        { "245.505", 12, 2, GD_DECIMAL_TOO_PRECISE, NULL },
        { "0.30000000000000004", 12, 4, GD_DECIMAL_TOO_PRECISE, NULL }, /* 17 significant digits */
        { "1e-20", 12, 4, GD_DECIMAL_TOO_PRECISE, NULL },
        { "-0.5", 12, 2, GD_DECIMAL_OK, "-0.5" },
        /* negative zero is zero */
        { "-0.0", 12, 2, GD_DECIMAL_OK, "0" },
        { "-0", 12, 2, GD_DECIMAL_OK, "0" },
        { "-0.0", 12, 0, GD_DECIMAL_OK, "0" },
        /* not numbers at all */
        { "true", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "false", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "null", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "[1]", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
        { "{\"v\": 1}", 12, 2, GD_DECIMAL_NOT_A_NUMBER, NULL },
};

START_TEST(test_parse)
{
        json_t *v = parse_flags(parse_cases[_i].json, JSON_DECODE_ANY);
        char out[GD_DECIMAL_MAX];
        enum gd_decimal_status st;

        memset(out, 0, sizeof(out));
        st = gd_decimal_parse(v, parse_cases[_i].digits, parse_cases[_i].scale, out);
        ck_assert_msg(st == parse_cases[_i].status, "%s (%u digits, %u decimals): status %d, expected %d",
                      parse_cases[_i].json, parse_cases[_i].digits, parse_cases[_i].scale, st,
                      parse_cases[_i].status);
        if (st == GD_DECIMAL_OK && parse_cases[_i].text)
                ck_assert_str_eq(out, parse_cases[_i].text);
        json_decref(v);
}
END_TEST

/* ret_ text is written only on success. */
START_TEST(test_parse_failure_leaves_out)
{
        json_t *v = json_string("245.505");
        char out[GD_DECIMAL_MAX];

        memcpy(out, "untouched", 10);
        ck_assert_int_eq(gd_decimal_parse(v, 12, 2, out), GD_DECIMAL_TOO_PRECISE);
        ck_assert_str_eq(out, "untouched");
        json_decref(v);
}
END_TEST

/* Strings too long for the output are refused, never truncated. */
START_TEST(test_parse_long_strings)
{
        char buf[200];
        json_t *v;
        char out[GD_DECIMAL_MAX];

        memset(buf, '1', sizeof(buf) - 1);
        buf[sizeof(buf) - 1] = '\0';
        v = json_string(buf);
        ck_assert_int_ne(gd_decimal_parse(v, 12, 2, out), GD_DECIMAL_OK);
        json_decref(v);

        /* 0.000...01 with 150 decimals */
        buf[0] = '0';
        buf[1] = '.';
        memset(buf + 2, '0', 149);
        buf[151] = '1';
        buf[152] = '\0';
        v = json_string(buf);
        ck_assert_int_ne(gd_decimal_parse(v, 12, 2, out), GD_DECIMAL_OK);
        json_decref(v);
}
END_TEST

/* Every canonical text the parser writes reads back as the same decimal. */
START_TEST(test_parse_roundtrip)
{
        static const char *const inputs[] = { "0.1", "0.2", "0.3", "1.1", "2.675", "1.005", "99.99", "1234.56",
                                              "0.07", "1e1", "5e-1", "3.14" };
        int i;

        for (i = 0; i < N(inputs); i++) {
                json_t *v = parse_flags(inputs[i], JSON_DECODE_ANY);
                char out[GD_DECIMAL_MAX];

                if (gd_decimal_parse(v, 12, 3, out) == GD_DECIMAL_OK)
                        ck_assert_msg(strtod(out, NULL) == json_real_value(v), "%s became %s", inputs[i], out);
                else
                        ck_abort_msg("%s refused", inputs[i]);
                json_decref(v);
        }
}
END_TEST

/* ---- gd_decimal_compare_int ---- */

static const struct {
        const char *text;
        long bound;
        int sign;
} compare_cases[] = {
        { "0", 0, 0 },
        { "1", 0, 1 },
        { "0.01", 0, 1 },
        { "0.00", 0, 0 },
        { "-0.01", 0, -1 },
        { "-0.5", 0, -1 },
        { "-1", 0, -1 },
        { "1", 1, 0 },
        { "1.0000", 1, 0 },
        { "1.0001", 1, 1 },
        { "0.9999", 1, -1 },
        { "2", 1, 1 },
        { "-1", -1, 0 },
        { "-1.5", -1, -1 },
        { "-0.5", -1, 1 },
        { "-2", -1, -1 },
        { "245.5", 245, 1 },
        { "245.5", 246, -1 },
        { "999999999999.99", 999999999999L, 1 },
        { "999999999999.99", 1000000000000L, -1 },
        { "999999999999.99", LONG_MAX, -1 },
        { "0", LONG_MAX, -1 },
        { "0", LONG_MIN, 1 },
        { "-999999999999.99", LONG_MIN, 1 },
};

START_TEST(test_compare)
{
        int got = gd_decimal_compare_int(compare_cases[_i].text, compare_cases[_i].bound);
        int sign = (got > 0) - (got < 0);

        ck_assert_msg(sign == compare_cases[_i].sign, "compare(%s, %ld) = %d, expected sign %d", compare_cases[_i].text,
                      compare_cases[_i].bound, got, compare_cases[_i].sign);
}
END_TEST

/* Every parsed value compares with its bounds as the number it is. */
START_TEST(test_parse_then_compare)
{
        static const struct {
                const char *json;
                long lo, hi;
                bool inside;
        } cases[] = {
                { "1", 0, 1, true },       { "\"1.0000\"", 0, 1, true }, { "1.0001", 0, 1, false },
                { "0", 0, 1, true },       { "-0.0", 0, 1, true },      { "\"-0.0001\"", 0, 1, false },
                { "0.15", 0, 1, true },    { "2", 0, 1, false },        { "-1", 0, LONG_MAX, false },
                { "\"-0\"", 0, LONG_MAX, true },
        };
        int i;

        for (i = 0; i < N(cases); i++) {
                json_t *v = parse_flags(cases[i].json, JSON_DECODE_ANY);
                char out[GD_DECIMAL_MAX];
                bool inside;

                ck_assert_int_eq(gd_decimal_parse(v, 12, 4, out), GD_DECIMAL_OK);
                inside = gd_decimal_compare_int(out, cases[i].lo) >= 0 && gd_decimal_compare_int(out, cases[i].hi) <= 0;
                ck_assert_msg(inside == cases[i].inside, "%s (%s) in [%ld, %ld]: %d", cases[i].json, out, cases[i].lo,
                              cases[i].hi, inside);
                json_decref(v);
        }
}
END_TEST

/* Number literals too long to be exact are found, with their pointers, whatever surrounds them. */
static const struct {
        const char *text;
        size_t found;
        const char *pointer; /* of the first one found */
} precision_cases[] = {
        {"{\"amount\": 245.50000000000000001}", 1, "/amount"},
        {"{\"amount\": 0.10000000000000001, \"covers\": 2}", 1, "/amount"},
        {"{\"a\": 1, \"b\": [2.5, 12.3400000000000000001]}", 1, "/b/1"},
        {"{\"note\": \"12.3400000000000000001\", \"x\": 1.5}", 0, NULL},
        {"{\"amount\": 245.50000000000000000}", 0, NULL},
        {"{\"amount\": 123456789012.25}", 0, NULL},
        {"{\"amount\": 1234567890123.456}", 1, "/amount"},
        {"{\"k\\\"ey\": \"v\", \"n\": 1e-7, \"m\": 0.1234567890123456}", 1, "/m"},
        {"[1, 2, 3]", 0, NULL},
        /* member names are escaped in pointers (RFC 6901) */
        {"{\"a/b~c\": 0.12345678901234567}", 1, "/a~1b~0c"},
};

START_TEST(test_number_precision)
{
        json_error_t jerr;
        json_t *root = json_loads(precision_cases[_i].text, JSON_DECODE_ANY, &jerr);
        ck_assert_msg(root != NULL, "case %d does not parse: %s", _i, jerr.text);
        struct gd_error err = {0};
        size_t found = gd_json_check_number_precision(precision_cases[_i].text, strlen(precision_cases[_i].text),
                                                      root, &err);
        ck_assert_uint_eq(found, precision_cases[_i].found);
        ck_assert_uint_eq(err.n_fields, precision_cases[_i].found);
        if (precision_cases[_i].pointer)
                ck_assert_str_eq(err.fields[0].pointer, precision_cases[_i].pointer);
        json_decref(root);
}
END_TEST

static Suite *decimal_suite(void)
{
        Suite *s = suite_create("decimal");
        TCase *tc = tcase_create("parse");

        tcase_add_loop_test(tc, test_parse, 0, N(parse_cases));
        tcase_add_test(tc, test_parse_failure_leaves_out);
        tcase_add_test(tc, test_parse_long_strings);
        tcase_add_test(tc, test_parse_roundtrip);
        suite_add_tcase(s, tc);

        tc = tcase_create("compare");
        tcase_add_loop_test(tc, test_compare, 0, N(compare_cases));
        tcase_add_test(tc, test_parse_then_compare);
        suite_add_tcase(s, tc);

        tc = tcase_create("precision");
        tcase_add_loop_test(tc, test_number_precision, 0, N(precision_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(decimal_suite()));
}
