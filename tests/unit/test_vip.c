/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/vip.h: the VIP CSV header and rows built from statement columns. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/csv.h"
#include "guestd/vip.h"

#include "gd_check.h"

#define HEADER                                                                                                  \
        "id,family_name,given_name,tier,score,colour,nationality,language,birthday,email,phone,"                \
        "marketing_consent,vip_code,next_occasion.kind,next_occasion.date\r\n"

/* A complete row as the statement returns it; tests change single columns. */
static void full_values(const char *values[GD_VIP_COLUMNS], const char *consent)
{
        values[GD_VIP_ID] = "7f0c1f3e-0000-4000-8000-000000000001";
        values[GD_VIP_FAMILY_NAME] = "Dupont";
        values[GD_VIP_GIVEN_NAME] = "Marie";
        values[GD_VIP_TIER] = "gold";
        values[GD_VIP_SCORE] = "87.5";
        values[GD_VIP_COLOUR] = "amber";
        values[GD_VIP_NATIONALITY] = "FR";
        values[GD_VIP_LANGUAGE] = "fr-FR";
        values[GD_VIP_BIRTH_DATE] = "1985-07-04";
        values[GD_VIP_EMAIL] = "marie.dupont@example.com";
        values[GD_VIP_PHONE] = "33612345678";
        values[GD_VIP_MARKETING_CONSENT] = consent;
        values[GD_VIP_VIP_CODE] = "GOLD";
        values[GD_VIP_OCCASION_KIND] = "birthday";
        values[GD_VIP_OCCASION_DATE] = "2026-07-04";
}

#define ROW_START "7f0c1f3e-0000-4000-8000-000000000001,Dupont,Marie,gold,87.5,amber,FR,fr-FR,07-04,"
#define ROW_END ",GOLD,birthday,2026-07-04\r\n"

/* One row into a fresh buffer; returns a heap copy of what was written. */
static char *row(const char *const values[GD_VIP_COLUMNS])
{
        struct gd_strbuf b = {0};
        ck_assert(gd_vip_csv_row(&b, values));
        ck_assert_ptr_nonnull(b.data);
        char *out = strdup(b.data);
        ck_assert_uint_eq(strlen(out), b.len);
        gd_strbuf_clear(&b);
        return out;
}

/* The cell at `column` of a row, the row holding no quoted cells. */
static char *cell_at(const char *line, int column)
{
        const char *p = line;
        for (int i = 0; i < column; i++) {
                p = strchr(p, ',');
                ck_assert_ptr_nonnull(p);
                p++;
        }
        size_t n = strcspn(p, ",\r");
        char *out = malloc(n + 1);
        ck_assert_ptr_nonnull(out);
        memcpy(out, p, n);
        out[n] = '\0';
        return out;
}

static void expect_cell(const char *line, int column, const char *want)
{
        char *got = cell_at(line, column);
        ck_assert_msg(strcmp(got, want) == 0, "column %d: got [%s], want [%s] in %s", column, got, want, line);
        free(got);
}

/* ---- header ---- */

START_TEST(test_header)
{
        struct gd_strbuf b = {0};
        ck_assert(gd_vip_csv_header(&b));
        ck_assert_str_eq(b.data, HEADER);
        ck_assert_uint_eq(b.len, strlen(HEADER));
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_header_column_count)
{
        /* as many header names as the row has cells */
        struct gd_strbuf b = {0};
        ck_assert(gd_vip_csv_header(&b));
        int commas = 0;
        for (size_t i = 0; i < b.len; i++)
                commas += b.data[i] == ',';
        ck_assert_int_eq(commas + 1, GD_VIP_COLUMNS);
        gd_strbuf_clear(&b);
}
END_TEST

/* ---- consent and contact details ---- */

START_TEST(test_row_with_consent)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START "marie.dupont@example.com,33612345678,true" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_without_consent)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "f");
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START ",,false" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_null_consent)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, NULL);
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START ",,false" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_consent_without_contact)
{
        /* consent given, but no email or phone on file: empty cells, still true */
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_EMAIL] = NULL;
        values[GD_VIP_PHONE] = NULL;
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START ",,true" ROW_END);
        free(got);
}
END_TEST

/* ---- birthday ---- */

static const struct {
        const char *birth_date, *birthday;
} birthday_cases[] = {
        {"1990-07-04", "07-04"},
        {"2000-02-29", "02-29"}, /* a leap year */
        {"1970-01-01", "01-01"},
        {"1999-12-31", "12-31"},
        {"1985-02-29", ""}, /* not a leap year */
        {"2020-13-01", ""},
        {"2020-04-31", ""},
        {"1990-7-4", ""},
        {"1990-07-04T00:00:00", ""},
        {"07-04", ""},
        {"abc", ""},
        {"", ""},
        {NULL, ""},
};

START_TEST(test_row_birthday)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_BIRTH_DATE] = birthday_cases[_i].birth_date;
        char *got = row(values);
        expect_cell(got, GD_VIP_BIRTH_DATE, birthday_cases[_i].birthday);
        /* the birth date itself, year included, is never shown */
        if (birthday_cases[_i].birth_date && strlen(birthday_cases[_i].birth_date) >= 10)
                ck_assert_msg(strstr(got, birthday_cases[_i].birth_date) == NULL, "birth date %s appears in %s",
                              birthday_cases[_i].birth_date, got);
        free(got);
}
END_TEST

/* ---- NULL values ---- */

START_TEST(test_row_all_null)
{
        const char *values[GD_VIP_COLUMNS];
        for (int i = 0; i < GD_VIP_COLUMNS; i++)
                values[i] = NULL;
        char *got = row(values);
        ck_assert_str_eq(got, ",,,,,,,,,,,false,,,\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_some_null)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_GIVEN_NAME] = NULL;
        values[GD_VIP_COLOUR] = NULL;
        values[GD_VIP_VIP_CODE] = NULL;
        values[GD_VIP_OCCASION_KIND] = NULL;
        values[GD_VIP_OCCASION_DATE] = NULL;
        char *got = row(values);
        ck_assert_str_eq(got, "7f0c1f3e-0000-4000-8000-000000000001,Dupont,,gold,87.5,,FR,fr-FR,07-04,"
                              "marie.dupont@example.com,33612345678,true,,,\r\n");
        free(got);
}
END_TEST

/* ---- escaping ---- */

START_TEST(test_row_phone_formula_prefix)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_PHONE] = "+4930123456";
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START "marie.dupont@example.com,'+4930123456,true" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_name_formula_prefix)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "f");
        values[GD_VIP_FAMILY_NAME] = "=HYPERLINK(\"http://x\")";
        values[GD_VIP_GIVEN_NAME] = "@Marie";
        char *got = row(values);
        ck_assert_str_eq(got, "7f0c1f3e-0000-4000-8000-000000000001,\"'=HYPERLINK(\"\"http://x\"\")\",'@Marie,"
                              "gold,87.5,amber,FR,fr-FR,07-04,,,false" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_name_plain_formula)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "f");
        values[GD_VIP_FAMILY_NAME] = "=1+1";
        char *got = row(values);
        ck_assert_str_eq(got, "7f0c1f3e-0000-4000-8000-000000000001,'=1+1,Marie,"
                              "gold,87.5,amber,FR,fr-FR,07-04,,,false" ROW_END);
        free(got);
}
END_TEST

START_TEST(test_row_name_quoting)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_FAMILY_NAME] = "O'Brien, Jr.";
        values[GD_VIP_GIVEN_NAME] = "Marie \"Mimi\"";
        values[GD_VIP_VIP_CODE] = "line1\nline2";
        char *got = row(values);
        ck_assert_str_eq(got, "7f0c1f3e-0000-4000-8000-000000000001,\"O'Brien, Jr.\",\"Marie \"\"Mimi\"\"\","
                              "gold,87.5,amber,FR,fr-FR,07-04,marie.dupont@example.com,33612345678,true,"
                              "\"line1\nline2\",birthday,2026-07-04\r\n");
        free(got);
}
END_TEST

START_TEST(test_row_hidden_contact_not_escaped)
{
        /* without consent, a contact value that would need quoting or a prefix leaves nothing behind */
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "f");
        values[GD_VIP_EMAIL] = "a,\"b\"@example.com";
        values[GD_VIP_PHONE] = "+4930123456";
        char *got = row(values);
        ck_assert_str_eq(got, ROW_START ",,false" ROW_END);
        free(got);
}
END_TEST

/* ---- several rows ---- */

START_TEST(test_rows_appended)
{
        struct gd_strbuf b = {0};
        const char *values[GD_VIP_COLUMNS];

        ck_assert(gd_vip_csv_header(&b));
        full_values(values, "t");
        ck_assert(gd_vip_csv_row(&b, values));
        full_values(values, "f");
        values[GD_VIP_ID] = "2";
        values[GD_VIP_FAMILY_NAME] = "Smith, J";
        values[GD_VIP_BIRTH_DATE] = NULL;
        ck_assert(gd_vip_csv_row(&b, values));
        full_values(values, "t");
        values[GD_VIP_ID] = "3";
        values[GD_VIP_PHONE] = "-12";
        values[GD_VIP_BIRTH_DATE] = "2004-02-29";
        ck_assert(gd_vip_csv_row(&b, values));

        ck_assert_str_eq(b.data, HEADER ROW_START "marie.dupont@example.com,33612345678,true" ROW_END
                                 "2,\"Smith, J\",Marie,gold,87.5,amber,FR,fr-FR,,,,false" ROW_END
                                 "3,Dupont,Marie,gold,87.5,amber,FR,fr-FR,02-29,marie.dupont@example.com,'-12,true"
                                 ROW_END);
        ck_assert_uint_eq(b.len, strlen(b.data));
        gd_strbuf_clear(&b);
}
END_TEST

START_TEST(test_many_rows)
{
        /* a thousand rows, one buffer: each is the same line, in order, CRLF-terminated */
        struct gd_strbuf b = {0};
        const char *values[GD_VIP_COLUMNS];
        const char *line = ROW_START ",,false" ROW_END;
        size_t n = strlen(line);

        full_values(values, "f");
        for (int i = 0; i < 1000; i++)
                ck_assert(gd_vip_csv_row(&b, values));
        ck_assert_uint_eq(b.len, 1000 * n);
        for (int i = 0; i < 1000; i++)
                ck_assert_msg(memcmp(b.data + (size_t) i * n, line, n) == 0, "row %d differs", i);
        gd_strbuf_clear(&b);
}
END_TEST

/* ---- gd_vip_item: the same values as a JSON entry of the list ---- */

static json_t *item(const char *const values[GD_VIP_COLUMNS], const char *label)
{
        json_t *it = gd_vip_item(values, label);
        ck_assert_ptr_nonnull(it);
        return it;
}

START_TEST(test_item_with_consent)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        json_t *it = item(values, "wedding");
        char *text = json_dumps(it, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(15));
        ck_assert_str_eq(text, "{\"birthday\":\"07-04\",\"colour\":\"amber\",\"email\":\"marie.dupont@example.com\","
                               "\"family_name\":\"Dupont\",\"given_name\":\"Marie\","
                               "\"id\":\"7f0c1f3e-0000-4000-8000-000000000001\",\"language\":\"fr-FR\","
                               "\"marketing_consent\":true,\"nationality\":\"FR\",\"next_occasion\":{\"date\":"
                               "\"2026-07-04\",\"kind\":\"birthday\",\"label\":\"wedding\"},\"phone\":\"33612345678\","
                               "\"score\":87.5,\"tier\":\"gold\",\"vip_code\":\"GOLD\"}");
        free(text);
        json_decref(it);
}
END_TEST

START_TEST(test_item_without_consent_has_no_contact)
{
        const char *consents[] = {"f", NULL};
        for (size_t i = 0; i < 2; i++) {
                const char *values[GD_VIP_COLUMNS];
                full_values(values, consents[i]);
                json_t *it = item(values, NULL);
                ck_assert_ptr_null(json_object_get(it, "email"));
                ck_assert_ptr_null(json_object_get(it, "phone"));
                ck_assert(json_is_false(json_object_get(it, "marketing_consent")));
                char *text = json_dumps(it, JSON_COMPACT);
                ck_assert_ptr_null(strstr(text, "example.com"));
                ck_assert_ptr_null(strstr(text, "1985"));
                free(text);
                json_decref(it);
        }
}
END_TEST

START_TEST(test_item_nulls)
{
        const char *values[GD_VIP_COLUMNS] = {0};
        values[GD_VIP_ID] = "7f0c1f3e-0000-4000-8000-000000000001";
        values[GD_VIP_FAMILY_NAME] = "Dupont";
        values[GD_VIP_TIER] = "gold";
        values[GD_VIP_SCORE] = "100";
        values[GD_VIP_MARKETING_CONSENT] = "t";
        json_t *it = item(values, "ignored without an occasion");
        const char *nullable[] = {"given_name", "nationality", "language", "vip_code", "colour", "next_occasion",
                                  "birthday", "email", "phone"};
        for (size_t i = 0; i < sizeof(nullable) / sizeof(nullable[0]); i++)
                ck_assert_msg(json_is_null(json_object_get(it, nullable[i])), "%s", nullable[i]);
        ck_assert(json_real_value(json_object_get(it, "score")) == 100.0);
        ck_assert_uint_eq(json_object_size(it), 14);
        json_decref(it);
}
END_TEST

START_TEST(test_item_occasion_without_label)
{
        const char *values[GD_VIP_COLUMNS];
        full_values(values, "t");
        values[GD_VIP_OCCASION_KIND] = "anniversary";
        json_t *it = item(values, NULL);
        json_t *o = json_object_get(it, "next_occasion");
        ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), "anniversary");
        ck_assert_str_eq(json_string_value(json_object_get(o, "date")), "2026-07-04");
        ck_assert(json_is_null(json_object_get(o, "label")));
        json_decref(it);
}
END_TEST

static Suite *vip_suite(void)
{
        Suite *s = suite_create("vip");
        TCase *tc;

        tc = tcase_create("header");
        tcase_add_test(tc, test_header);
        tcase_add_test(tc, test_header_column_count);
        suite_add_tcase(s, tc);

        tc = tcase_create("consent");
        tcase_add_test(tc, test_row_with_consent);
        tcase_add_test(tc, test_row_without_consent);
        tcase_add_test(tc, test_row_null_consent);
        tcase_add_test(tc, test_row_consent_without_contact);
        suite_add_tcase(s, tc);

        tc = tcase_create("birthday");
        tcase_add_loop_test(tc, test_row_birthday, 0, N(birthday_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("null");
        tcase_add_test(tc, test_row_all_null);
        tcase_add_test(tc, test_row_some_null);
        suite_add_tcase(s, tc);

        tc = tcase_create("escaping");
        tcase_add_test(tc, test_row_phone_formula_prefix);
        tcase_add_test(tc, test_row_name_formula_prefix);
        tcase_add_test(tc, test_row_name_plain_formula);
        tcase_add_test(tc, test_row_name_quoting);
        tcase_add_test(tc, test_row_hidden_contact_not_escaped);
        suite_add_tcase(s, tc);

        tc = tcase_create("item");
        tcase_add_test(tc, test_item_with_consent);
        tcase_add_test(tc, test_item_without_consent_has_no_contact);
        tcase_add_test(tc, test_item_nulls);
        tcase_add_test(tc, test_item_occasion_without_label);
        suite_add_tcase(s, tc);

        tc = tcase_create("rows");
        tcase_add_test(tc, test_rows_appended);
        tcase_add_test(tc, test_many_rows);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(vip_suite()));
}
