/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/validate.h: phone, email, ISO codes, language tags, UTF-8, UUIDs and timestamps. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/validate.h"

#include "gd_check.h"

struct str_case {
        const char *s;
        bool ok;
};

/* ---- E.164 ---- */

static const struct str_case e164_cases[] = {
        { "+12345678", true },           /* 8 digits: the minimum */
        { "+123456789012345", true },    /* 15 digits: the maximum */
        { "+33612345678", true },
        { "+14155552671", true },
        { "+861012345678", true },
        { "+1234567", false },           /* 7 digits */
        { "+1234567890123456", false },  /* 16 digits */
        { "+0123456789", false },        /* country code cannot start with 0 */
        { "+00000000", false },
        { "33612345678", false },        /* no plus */
        { "0033612345678", false },
        { "+33 612345678", false },      /* space */
        { " +33612345678", false },
        { "+33612345678 ", false },
        { "+33-612-345-678", false },
        { "+3361234567a", false },
        { "++33612345678", false },
        { "+", false },
        { "", false },
};

START_TEST(test_e164)
{
        ck_assert_msg(gd_valid_e164(e164_cases[_i].s) == e164_cases[_i].ok, "gd_valid_e164(\"%s\") should be %s",
                      e164_cases[_i].s, e164_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- email ---- */

static const struct str_case email_cases[] = {
        { "a@b.co", true },
        { "john.doe@example.com", true },
        { "first+tag@sub.example.org", true },
        { "o'brien@example.ie", true },
        { "no-at", false },
        { "a@b", false },           /* domain without a dot */
        { "a@@b.co", false },
        { "a@b@c.co", false },
        { "a b@c.de", false },      /* space */
        { "a@b .co", false },
        { "a\tb@c.de", false },     /* control character */
        { "a@b.co\n", false },
        { "@b.co", false },         /* empty local part */
        { "a@", false },            /* empty domain */
        { "", false },
};

START_TEST(test_email)
{
        ck_assert_msg(gd_valid_email(email_cases[_i].s) == email_cases[_i].ok,
                      "gd_valid_email(\"%s\") should be %s", email_cases[_i].s,
                      email_cases[_i].ok ? "true" : "false");
}
END_TEST

/* Builds local@domain where local has `local_len` chars and domain has `domain_len` (>= 5) chars, made of
 * labels of at most 61 characters and ending in ".com". */
static void build_email(char *out, size_t local_len, size_t domain_len)
{
        size_t i, pos = 0, label = 0;

        for (i = 0; i < local_len; i++)
                out[pos++] = 'l';
        out[pos++] = '@';
        for (i = 0; i < domain_len - 4; i++) {
                if (label == 61 && i + 1 < domain_len - 4) {
                        out[pos++] = '.';
                        label = 0;
                } else {
                        out[pos++] = 'd';
                        label++;
                }
        }
        memcpy(out + pos, ".com", 5);
}

START_TEST(test_email_lengths)
{
        char buf[400];

        build_email(buf, 64, 20);
        ck_assert_msg(gd_valid_email(buf), "64-char local part should be accepted: %s", buf);
        build_email(buf, 65, 20);
        ck_assert_msg(!gd_valid_email(buf), "65-char local part should be rejected: %s", buf);

        build_email(buf, 64, 189);
        ck_assert_uint_eq(strlen(buf), 254);
        ck_assert_msg(gd_valid_email(buf), "254-char address should be accepted: %s", buf);
        build_email(buf, 64, 190);
        ck_assert_uint_eq(strlen(buf), 255);
        ck_assert_msg(!gd_valid_email(buf), "255-char address should be rejected: %s", buf);
        build_email(buf, 10, 300);
        ck_assert_msg(!gd_valid_email(buf), "311-char address should be rejected");
}
END_TEST

/* ---- ISO 3166-1 alpha-2 ---- */

static const struct str_case country_cases[] = {
        { "FR", true },  { "US", true },  { "DE", true },  { "CN", true },  { "GB", true },
        { "JP", true },  { "BR", true },  { "ZA", true },  { "AD", true },  { "ZW", true },
        { "fr", false }, { "Fr", false }, { "XX", false }, { "ZZ", false }, { "UK", false },
        { "AA", false }, { "FRA", false }, { "F", false }, { "", false },   { "F1", false },
        { " FR", false },
};

START_TEST(test_country)
{
        ck_assert_msg(gd_valid_country(country_cases[_i].s) == country_cases[_i].ok,
                      "gd_valid_country(\"%s\") should be %s", country_cases[_i].s,
                      country_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- ISO 4217 ---- */

static const struct str_case currency_cases[] = {
        { "EUR", true },   { "USD", true },  { "JPY", true },  { "GBP", true }, { "CHF", true },
        { "CNY", true },   { "eur", false }, { "Eur", false }, { "EURO", false }, { "EU", false },
        { "ABC", false },  { "", false },    { "E1R", false }, { "EUR ", false },
};

START_TEST(test_currency)
{
        ck_assert_msg(gd_valid_currency(currency_cases[_i].s) == currency_cases[_i].ok,
                      "gd_valid_currency(\"%s\") should be %s", currency_cases[_i].s,
                      currency_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- BCP 47 shape ---- */

static const struct str_case language_cases[] = {
        { "en", true },
        { "fr", true },
        { "pt-BR", true },
        { "zh-Hant-TW", true },
        { "es-419", true },
        { "de-CH-1996", true },
        { "en-aaaaaaaa-bbbbbbbb-cccccccc-ddddd", true }, /* 35 characters */
        { "en-aaaaaaaa-bbbbbbbb-cccccccc-dddddd", false }, /* 36 characters */
        { "", false },
        { "e", false },
        { "english", false },    /* primary subtag longer than 3 letters */
        { "en_US", false },
        { "en US", false },
        { "en-", false },        /* empty subtag */
        { "-en", false },
        { "en--US", false },
        { "en-abcdefghi", false }, /* 9-character subtag */
        { "12", false },         /* primary subtag must be letters */
        { "en-US!", false },
};

START_TEST(test_language)
{
        ck_assert_msg(gd_valid_language(language_cases[_i].s) == language_cases[_i].ok,
                      "gd_valid_language(\"%s\") should be %s", language_cases[_i].s,
                      language_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- UTF-8 length ---- */

static const struct {
        const char *s;
        size_t len;
} utf8_cases[] = {
        { "", 0 },
        { "abc", 3 },
        { "Jos\xc3\xa9", 4 },                         /* José */
        { "\xc3\xa9\xc3\xa9", 2 },                    /* éé */
        { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3 }, /* 日本語 */
        { "\xf0\x9f\x98\x80", 1 },                    /* U+1F600, four bytes */
        { "a\xf0\x9f\x98\x80z", 3 },
};

START_TEST(test_utf8_length)
{
        size_t got = gd_utf8_length(utf8_cases[_i].s);

        ck_assert_msg(got == utf8_cases[_i].len, "case %d: expected %zu code points, got %zu", _i,
                      utf8_cases[_i].len, got);
}
END_TEST

/* ---- control characters ---- */

static const struct {
        const char *s;
        bool strict;       /* expected with allow_newlines = false */
        bool with_newlines; /* expected with allow_newlines = true */
} ctrl_cases[] = {
        { "", false, false },
        { "plain text", false, false },
        { "Jos\xc3\xa9 \xe6\x97\xa5", false, false },
        { "a\nb", true, false },
        { "a\rb", true, false },
        { "a\tb", true, false },
        { "\r\n", true, false },
        { "a\x01" "b", true, true },
        { "\x1b[31m", true, true },
        { "a\x1f", true, true },
        { "a\x7f", true, true },
        { "\x0b", true, true }, /* vertical tab is not one of \n \r \t */
};

START_TEST(test_control_chars)
{
        ck_assert_msg(gd_has_control_chars(ctrl_cases[_i].s, false) == ctrl_cases[_i].strict,
                      "case %d, allow_newlines=false: expected %d", _i, ctrl_cases[_i].strict);
        ck_assert_msg(gd_has_control_chars(ctrl_cases[_i].s, true) == ctrl_cases[_i].with_newlines,
                      "case %d, allow_newlines=true: expected %d", _i, ctrl_cases[_i].with_newlines);
}
END_TEST

/* ---- UTF-8 validity (query values arrive as raw bytes) ---- */

static const struct str_case utf8_valid_cases[] = {
        { "", true },
        { "plain", true },
        { "Jos\xc3\xa9", true },
        { "\xe6\x97\xa5\xe6\x9c\xac", true },
        { "\xf0\x9f\x98\x80", true },              /* U+1F600 */
        { "\xf4\x8f\xbf\xbf", true },              /* U+10FFFF, the last code point */
        { "\xef\xbb\xbf", true },                   /* U+FEFF */
        { "\xff", false },
        { "a\x80", false },                          /* a stray continuation byte */
        { "\xc3\x28", false },                       /* truncated: the next byte is no continuation */
        { "\xc3", false },                           /* truncated at the end */
        { "\xe6\x97", false },
        { "\xc0\xaf", false },                       /* overlong '/' */
        { "\xc1\xbf", false },
        { "\xe0\x80\xaf", false },                   /* overlong, three bytes */
        { "\xf0\x80\x80\xaf", false },               /* overlong, four bytes */
        { "\xed\xa0\x80", false },                   /* U+D800, a surrogate */
        { "\xed\xbf\xbf", false },                   /* U+DFFF */
        { "\xf4\x90\x80\x80", false },               /* U+110000 */
        { "\xf5\x80\x80\x80", false },
        { "\xfe", false },
};

START_TEST(test_utf8_valid)
{
        ck_assert_msg(gd_utf8_valid(utf8_valid_cases[_i].s) == utf8_valid_cases[_i].ok,
                      "case %d: gd_utf8_valid should be %s", _i, utf8_valid_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- search texts that fold to nothing (q) ---- */

static const struct str_case folds_cases[] = {
        { "", true },
        { " ", true },
        { " \t\n", true },
        { "\xcc\x81", true },                       /* U+0301 combining acute, alone */
        { " \xcc\x81\xcc\x88 ", true },
        { "\xc2\xa0\xe2\x80\x8b", true },          /* no-break space, zero-width space */
        { "\xe3\x80\x80", true },                   /* ideographic space */
        { "\xe2\x83\x9d", true },                   /* U+20DD combining enclosing circle */
        { "a", false },
        { " e\xcc\x81 ", false },                    /* e + combining acute: "e" */
        { "\xcc\x81" "a", false },
        { "-", false },
        { "+41", false },
        { "\xe6\x97\xa5", false },
        { "\xff", false },                           /* not UTF-8: not this function's to refuse */
};

START_TEST(test_folds_to_nothing)
{
        ck_assert_msg(gd_folds_to_nothing(folds_cases[_i].s) == folds_cases[_i].ok,
                      "case %d: gd_folds_to_nothing should be %s", _i, folds_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- the timestamps a body may carry ---- */

/* 2026-06-15T12:00:00Z */
#define NOW ((time_t) 1781524800)

static const struct {
        const char *s;
        enum gd_body_timestamp want;
} body_ts_cases[] = {
        { "2026-06-15T12:00:00Z", GD_BODY_TIMESTAMP_OK },
        { "1900-01-01T00:00:00Z", GD_BODY_TIMESTAMP_OK },             /* the first instant */
        { "1899-12-31T23:59:59Z", GD_BODY_TIMESTAMP_TOO_EARLY },      /* one second before */
        { "1899-12-31T23:59:59.999999Z", GD_BODY_TIMESTAMP_TOO_EARLY },
        { "1900-01-01T00:30:00+01:00", GD_BODY_TIMESTAMP_TOO_EARLY }, /* 1899-12-31T23:30:00Z */
        { "1900-01-01T14:00:00+14:00", GD_BODY_TIMESTAMP_OK },        /* 1900-01-01T00:00:00Z */
        { "0001-01-01T00:00:00Z", GD_BODY_TIMESTAMP_TOO_EARLY },
        { "2026-06-16T12:00:00Z", GD_BODY_TIMESTAMP_OK },             /* now + 1 day */
        { "2026-06-16T12:00:00.000Z", GD_BODY_TIMESTAMP_OK },
        { "2026-06-16T12:00:00.000001Z", GD_BODY_TIMESTAMP_TOO_LATE },
        { "2026-06-16T12:00:01Z", GD_BODY_TIMESTAMP_TOO_LATE },       /* now + 1 day + 1 s */
        { "2026-06-16T14:00:00+02:00", GD_BODY_TIMESTAMP_OK },        /* now + 1 day, another zone */
        { "2026-06-16T14:00:01+02:00", GD_BODY_TIMESTAMP_TOO_LATE },
        { "2026-06-17T01:59:59+14:00", GD_BODY_TIMESTAMP_OK },        /* 2026-06-16T11:59:59Z */
        { "9999-12-31T23:59:59Z", GD_BODY_TIMESTAMP_TOO_LATE },
        { "2016-12-31T23:59:60Z", GD_BODY_TIMESTAMP_LEAP_SECOND },    /* a real leap second, still refused */
        { "9999-12-31T23:59:60Z", GD_BODY_TIMESTAMP_LEAP_SECOND },    /* was stored as 10000-01-01 */
        { "2026-01-01T10:00:00+14:00", GD_BODY_TIMESTAMP_OK },
        { "2026-01-01T10:00:00-14:00", GD_BODY_TIMESTAMP_OK },
        { "2026-01-01T10:00:00+14:01", GD_BODY_TIMESTAMP_OFFSET },
        { "2026-01-01T10:00:00-14:01", GD_BODY_TIMESTAMP_OFFSET },
        { "2026-01-01T10:00:00+16:00", GD_BODY_TIMESTAMP_OFFSET },
        { "2026-01-01T10:00:00+23:59", GD_BODY_TIMESTAMP_OFFSET },
        { "2026-01-01T10:00:00+24:00", GD_BODY_TIMESTAMP_MALFORMED },
        { "2026-01-01T10:00:00", GD_BODY_TIMESTAMP_MALFORMED },
        { "2026-01-01", GD_BODY_TIMESTAMP_MALFORMED },
        { "2026-02-30T10:00:00Z", GD_BODY_TIMESTAMP_MALFORMED },
        { "2026-01-01T10:00:61Z", GD_BODY_TIMESTAMP_MALFORMED },
        { "", GD_BODY_TIMESTAMP_MALFORMED },
};

START_TEST(test_body_timestamp)
{
        enum gd_body_timestamp got = gd_body_timestamp_check(body_ts_cases[_i].s, NOW);
        ck_assert_msg(got == body_ts_cases[_i].want, "\"%s\": expected verdict %d, got %d",
                      body_ts_cases[_i].s, (int) body_ts_cases[_i].want, (int) got);
}
END_TEST

/* ---- UUID ---- */

static const struct str_case uuid_cases[] = {
        { "123e4567-e89b-12d3-a456-426614174000", true },
        { "f47ac10b-58cc-4372-a567-0e02b2c3d479", true },
        { "01890a5d-ac96-774b-bcce-b302099a8057", true },
        { "123E4567-E89B-12D3-A456-426614174000", false },  /* upper case */
        { "f47ac10b-58cc-4372-a567-0e02b2c3D479", false },  /* one upper-case digit */
        { "123e4567e89b12d3a456426614174000", false },      /* no dashes */
        { "123e4567-e89b-12d3-a456-42661417400g", false },  /* 'g' */
        { "g23e4567-e89b-12d3-a456-426614174000", false },
        { "123e4567-e89b-12d3-a456-42661417400", false },   /* 35 characters */
        { "123e4567-e89b-12d3-a456-4266141740000", false }, /* 37 characters */
        { "123e4567e-89b-12d3-a456-426614174000", false },  /* dash misplaced */
        { "123e4567-e89b-12d3-a456_426614174000", false },
        { "{123e4567-e89b-12d3-a456-426614174000}", false },
        { " 123e4567-e89b-12d3-a456-426614174000", false },
        { "", false },
        { "1", false },
        { "not-a-uuid", false },
};

START_TEST(test_uuid)
{
        ck_assert_msg(gd_valid_uuid(uuid_cases[_i].s) == uuid_cases[_i].ok, "gd_valid_uuid(\"%s\") should be %s",
                      uuid_cases[_i].s, uuid_cases[_i].ok ? "true" : "false");
}
END_TEST

/* ---- RFC 3339 timestamps (updated_since) ---- */

static const struct str_case rfc3339_cases[] = {
        { "2026-11-27T09:10:17.123456Z", true },
        { "2026-11-27T09:10:17Z", true },
        { "2026-11-27T09:10:17+02:00", true },
        { "2026-11-27T09:10:17.1-05:30", true },
        { "2026-11-27T09:10:17.123456789Z", true },  /* 9 fraction digits */
        { "2024-02-29T00:00:00Z", true },
        { "1970-01-01T00:00:00+00:00", true },
        { "2026-11-27", false },                     /* a date alone */
        { "2026-11-27T09:10:17", false },            /* no offset */
        { "2026-11-27T09:10Z", false },              /* no seconds */
        { "2026-11-27T24:00:00Z", false },
        { "2026-11-27T09:60:00Z", false },
        { "2026-11-27T9:10:17Z", false },
        { "2023-02-29T00:00:00Z", false },           /* not a calendar day */
        { "2026-13-01T00:00:00Z", false },
        { "2026-11-27T09:10:17.Z", false },          /* empty fraction */
        { "2026-11-27T09:10:17.1234567890Z", false }, /* 10 fraction digits */
        { "2026-11-27T09:10:17+0200", false },
        { "2026-11-27T09:10:17+02", false },
        { "2026-11-27T09:10:17+14:00", true },       /* the farthest offset in use (Kiribati) */
        { "2026-11-27T09:10:17-14:00", true },
        { "2026-11-27T09:10:17+14:01", false },      /* beyond ±14:00 */
        { "2026-11-27T09:10:17-14:01", false },
        { "2026-11-27T09:10:17+15:59", false },
        { "2026-11-27T09:10:17+16:00", false },      /* PostgreSQL refused it: a bare 422 */
        { "2026-11-27T09:10:17+23:59", false },
        { "2016-12-31T23:59:60Z", true },            /* a leap second is RFC 3339 */
        { "2026-11-27T09:10:17Zjunk", false },
        { "2026-11-27T09:10:17Z ", false },
        { "1732698617", false },
        { "", false },
};

START_TEST(test_rfc3339)
{
        ck_assert_msg(gd_valid_rfc3339(rfc3339_cases[_i].s) == rfc3339_cases[_i].ok,
                      "gd_valid_rfc3339(\"%s\") should be %s", rfc3339_cases[_i].s,
                      rfc3339_cases[_i].ok ? "true" : "false");
}
END_TEST

static Suite *validate_suite(void)
{
        Suite *s = suite_create("validate");
        TCase *tc;

        tc = tcase_create("e164");
        tcase_add_loop_test(tc, test_e164, 0, N(e164_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("email");
        tcase_add_loop_test(tc, test_email, 0, N(email_cases));
        tcase_add_test(tc, test_email_lengths);
        suite_add_tcase(s, tc);

        tc = tcase_create("country");
        tcase_add_loop_test(tc, test_country, 0, N(country_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("currency");
        tcase_add_loop_test(tc, test_currency, 0, N(currency_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("language");
        tcase_add_loop_test(tc, test_language, 0, N(language_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("utf8");
        tcase_add_loop_test(tc, test_utf8_length, 0, N(utf8_cases));
        tcase_add_loop_test(tc, test_control_chars, 0, N(ctrl_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("rfc3339");
        tcase_add_loop_test(tc, test_rfc3339, 0, N(rfc3339_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("utf8_valid");
        tcase_add_loop_test(tc, test_utf8_valid, 0, N(utf8_valid_cases));
        tcase_add_loop_test(tc, test_folds_to_nothing, 0, N(folds_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("body_timestamp");
        tcase_add_loop_test(tc, test_body_timestamp, 0, N(body_ts_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("uuid");
        tcase_add_loop_test(tc, test_uuid, 0, N(uuid_cases));
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(validate_suite()));
}
