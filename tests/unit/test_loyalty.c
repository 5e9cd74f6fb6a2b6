/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/loyalty.h: the rules of a PUT /v1/loyalty/config body (each with its JSON
 * pointer, all reported at once) and the stored form of a valid body. The rules are those that
 * openapi/openapi.yaml documents for PUT /v1/loyalty/config. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/error.h"
#include "guestd/loyalty.h"

#include "gd_check.h"

/* The default configuration as GET /v1/loyalty/config shows it, without the read-only members. */
static const char DEFAULT_CONFIG[] =
        "{\"base_currency\": \"EUR\", \"fx_rates\": {\"USD\": \"0.92\"},"
        " \"window_days\": 1095, \"recency_days\": 365, \"frequency_cap\": 20, \"monetary_cap\": \"50000.00\","
        " \"weights\": {\"recency\": 0.25, \"frequency\": 0.25, \"monetary\": 0.30, \"satisfaction\": 0.10,"
        "             \"credit\": 0.10},"
        " \"tiers\": [{\"name\": \"standard\", \"min_score\": 0, \"colour\": \"#9E9E9E\"},"
        "           {\"name\": \"silver\", \"min_score\": 30, \"colour\": \"#C0C0C0\"},"
        "           {\"name\": \"gold\", \"min_score\": 50, \"colour\": \"#D4AF37\"},"
        "           {\"name\": \"platinum\", \"min_score\": 70, \"colour\": \"#E5E4E2\"},"
        "           {\"name\": \"diamond\", \"min_score\": 85, \"colour\": \"#B9F2FF\"}],"
        " \"vip_floor_tier\": \"gold\"}";

/* ---- helpers ---- */

static json_t *default_config(void)
{
        return parse(DEFAULT_CONFIG);
}

/* Sets (value JSON text) or removes (value NULL) the member at a simple JSON pointer ("/tiers/1/colour"):
 * object members are created, array elements must exist. */
static void set_at(json_t *doc, const char *pointer, const char *value)
{
        char buf[256], *tok, *next;
        json_t *parent = doc;

        ck_assert(pointer[0] == '/');
        snprintf(buf, sizeof(buf), "%s", pointer + 1);
        tok = buf;
        for (;;) {
                next = strchr(tok, '/');
                if (next)
                        *next = '\0';
                if (!next) {
                        if (json_is_array(parent)) {
                                size_t i = strtoul(tok, NULL, 10);
                                ck_assert_msg(value != NULL, "cannot remove an array element in a test case");
                                ck_assert_int_eq(json_array_set_new(parent, i, parse(value)), 0);
                        } else if (value) {
                                ck_assert_int_eq(json_object_set_new(parent, tok, parse(value)), 0);
                        } else {
                                ck_assert_int_eq(json_object_del(parent, tok), 0);
                        }
                        return;
                }
                parent = json_is_array(parent) ? json_array_get(parent, strtoul(tok, NULL, 10))
                                               : json_object_get(parent, tok);
                ck_assert_msg(parent != NULL, "test pointer %s does not exist in the document", pointer);
                tok = next + 1;
        }
}

/* Validates doc; pointer NULL means it must be accepted, else refused with (at least) a field error at pointer.
 * Also checks that the document is left as it was. */
static void expect(const json_t *doc, const char *pointer, const char *what, struct gd_error *ret_err)
{
        struct gd_error err;
        char got[4096];
        json_t *copy = json_deep_copy(doc);
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_loyalty_config_validate(doc, &err);
        describe(&err, got, sizeof(got));
        ck_assert_msg(json_equal(doc, copy), "%s: validate modified the document", what);
        json_decref(copy);
        if (!pointer) {
                ck_assert_msg(rc == GD_OK, "%s: refused (rc %d): [%s] detail \"%s\"", what, rc, got, err.detail);
                ck_assert_msg(err.n_fields == 0, "%s: accepted but fields reported [%s]", what, got);
        } else {
                ck_assert_msg(rc == GD_ERR_INVALID, "%s: expected GD_ERR_INVALID, got %d [%s]", what, rc, got);
                ck_assert_msg(err.code == GD_ERR_INVALID, "%s: reterr->code is %d", what, err.code);
                ck_assert_msg(has_message(&err, pointer), "%s: expected a field error at \"%s\", reported [%s]",
                              what, pointer, got);
        }
        if (ret_err)
                *ret_err = err;
}

/* "[{"name": "t0", "min_score": 0, ...}, ...]" with n tiers at 0, 5, 10, ..., one of them named gold. */
static char *tiers_text(int n)
{
        char *s = malloc(4096);
        size_t used = 0;

        ck_assert_ptr_nonnull(s);
        used += (size_t)snprintf(s + used, 4096 - used, "[");
        for (int i = 0; i < n; i++) {
                char name[16];
                if (i == 1)
                        snprintf(name, sizeof(name), "gold");
                else
                        snprintf(name, sizeof(name), "t%d", i);
                used += (size_t)snprintf(s + used, 4096 - used, "%s{\"name\": \"%s\", \"min_score\": %d,"
                                         " \"colour\": \"#A0B0C%d\"}", i ? ", " : "", name, i * 5, i % 10);
        }
        snprintf(s + used, 4096 - used, "]");
        return s;
}

/* ---- accepted ---- */

START_TEST(test_default_accepted)
{
        json_t *doc = default_config();

        expect(doc, NULL, "the default configuration", NULL);
        json_decref(doc);
}
END_TEST

/* The GET body as it is, read-only members included: they are ignored, whatever they hold. */
static const struct {
        const char *formula_version, *updated_at;
} ignored_cases[] = {
        { "1", "\"2026-05-01T10:00:00.000000Z\"" },
        { "7", NULL },
        { NULL, "\"2026-05-01T10:00:00.000000Z\"" },
        { "\"garbage\"", "42" },
        { "null", "{\"a\": [1, 2]}" },
        { "-5", "\"not a time\"" },
};

START_TEST(test_read_only_members_ignored)
{
        json_t *doc = default_config();
        char what[200];

        if (ignored_cases[_i].formula_version)
                set_at(doc, "/formula_version", ignored_cases[_i].formula_version);
        if (ignored_cases[_i].updated_at)
                set_at(doc, "/updated_at", ignored_cases[_i].updated_at);
        snprintf(what, sizeof(what), "formula_version %s, updated_at %s",
                 ignored_cases[_i].formula_version ? ignored_cases[_i].formula_version : "(absent)",
                 ignored_cases[_i].updated_at ? ignored_cases[_i].updated_at : "(absent)");
        expect(doc, NULL, what, NULL);
        json_decref(doc);
}
END_TEST

/* One change of the default that keeps it valid. */
static const struct {
        const char *pointer, *value;
} valid_changes[] = {
        { "/weights", "{\"recency\": 0, \"frequency\": 0, \"monetary\": 0, \"satisfaction\": 1, \"credit\": 0}" },
        { "/weights", "{\"recency\": 0.2, \"frequency\": 0.2, \"monetary\": 0.2, \"satisfaction\": 0.2,"
                      " \"credit\": 0.2}" },
        { "/weights", "{\"recency\": 0.3333, \"frequency\": 0.3333, \"monetary\": 0.3334, \"satisfaction\": 0,"
                      " \"credit\": 0}" },
        { "/weights/credit", "\"0.10\"" },       /* a decimal string */
        { "/weights", "{\"recency\": 0.25, \"frequency\": 0.25, \"monetary\": 0.30, \"satisfaction\": 0.1,"
                      " \"credit\": 0.1001}" },          /* sum 1.0001: inside the tolerance */
        { "/tiers", "[{\"name\": \"standard\", \"min_score\": 0, \"colour\": \"#9E9E9E\"},"
                    " {\"name\": \"gold\", \"min_score\": 50, \"colour\": \"#d4af37\"}]" },
        { "/tiers/1/name", "\"silver_2\"" },
        { "/tiers/1/name", "\"s\"" },
        { "/tiers/1/name", "\"abcdefghijklmnopqrstuvwxyz0123\"" }, /* 30 characters */
        { "/tiers/1/min_score", "0.1" },
        { "/tiers/4/min_score", "100" },
        { "/tiers/1/colour", "\"#abcdef\"" },
        { "/vip_floor_tier", "\"standard\"" },
        { "/vip_floor_tier", "\"diamond\"" },
        { "/window_days", "1" },
        { "/window_days", "3650" },
        { "/recency_days", "1" },
        { "/recency_days", "3650" },
        { "/frequency_cap", "1" },
        { "/frequency_cap", "1000" },
        { "/monetary_cap", "\"1.00\"" },
        { "/monetary_cap", "25000" },
        { "/monetary_cap", "\"999999999999\"" },
        { "/base_currency", "\"GBP\"" },
        { "/fx_rates", "{}" },
        { "/fx_rates/USD", "0.92" },              /* a number */
        { "/fx_rates/USD", "\"0.123456\"" },      /* six decimals */
        { "/fx_rates/USD", "1" },
        { "/fx_rates/GBP", "\"1.17\"" },
        { "/fx_rates/JPY", "\"0.006\"" },
};

START_TEST(test_valid_change_accepted)
{
        json_t *doc = default_config();
        char what[300];

        set_at(doc, valid_changes[_i].pointer, valid_changes[_i].value);
        snprintf(what, sizeof(what), "%s = %s", valid_changes[_i].pointer, valid_changes[_i].value);
        expect(doc, NULL, what, NULL);
        json_decref(doc);
}
END_TEST

START_TEST(test_ten_tiers_accepted)
{
        json_t *doc = default_config();
        char *tiers = tiers_text(10);

        set_at(doc, "/tiers", tiers);
        expect(doc, NULL, "10 tiers", NULL);
        free(tiers);
        json_decref(doc);
}
END_TEST

/* monetary_cap must be above 0: a cap below 1 is odd but allowed. */
START_TEST(test_monetary_cap_below_one_accepted)
{
        json_t *doc = default_config();

        set_at(doc, "/monetary_cap", "\"0.50\"");
        expect(doc, NULL, "monetary_cap 0.50 (> 0)", NULL);
        json_decref(doc);
}
END_TEST

/* ---- refused, one rule at a time ---- */

static const struct {
        const char *pointer, *value; /* value NULL: removed */
        const char *expected;
} invalid_changes[] = {
        /* weights: all five, each in [0, 1], sum 1 */
        { "/weights/credit", "0", "/weights" },                       /* sum 0.9 */
        { "/weights/credit", "0.2", "/weights" },                     /* sum 1.1 */
        { "/weights/satisfaction", "0.1002", "/weights" },            /* sum 1.0002 */
        { "/weights/credit", "-0.1", "/weights/credit" },
        { "/weights/monetary", "1.5", "/weights/monetary" },
        { "/weights/recency", "\"a quarter\"", "/weights/recency" },
        { "/weights/satisfaction", NULL, "/weights/satisfaction" },
        { "/weights/recency", NULL, "/weights/recency" },
        { "/weights/loyalty", "0", "/weights/loyalty" },
        { "/weights", "[0.25, 0.25, 0.3, 0.1, 0.1]", "/weights" },
        { "/weights", NULL, "/weights" },
        /* tiers */
        { "/tiers", "[{\"name\": \"gold\", \"min_score\": 0, \"colour\": \"#D4AF37\"}]", "/tiers" },
        { "/tiers", "[]", "/tiers" },
        { "/tiers", "{}", "/tiers" },
        { "/tiers", NULL, "/tiers" },
        { "/tiers/0/min_score", "5", "/tiers/0/min_score" },
        { "/tiers/0/min_score", "-1", "/tiers/0/min_score" },
        { "/tiers/2/min_score", "30", "/tiers/2/min_score" },         /* equal to silver's */
        { "/tiers/2/min_score", "20", "/tiers/2/min_score" },         /* lower than silver's */
        { "/tiers/4/min_score", "70", "/tiers/4/min_score" },
        { "/tiers/4/min_score", "100.5", "/tiers/4/min_score" },
        { "/tiers/1/colour", "\"red\"", "/tiers/1/colour" },
        { "/tiers/1/colour", "\"#12345G\"", "/tiers/1/colour" },
        { "/tiers/1/colour", "\"#12345\"", "/tiers/1/colour" },
        { "/tiers/1/colour", "\"123456\"", "/tiers/1/colour" },
        { "/tiers/3/colour", "\"#1234567\"", "/tiers/3/colour" },
        { "/tiers/1/name", "\"Gold\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"1x\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"_x\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"sil ver\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"silver-2\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"\"", "/tiers/1/name" },
        { "/tiers/1/name", "\"abcdefghijklmnopqrstuvwxyz01234\"", "/tiers/1/name" }, /* 31 characters */
        { "/tiers/1/name", "\"gold\"", "/tiers/2/name" },             /* the second "gold" repeats the first */
        { "/tiers/4/name", "\"standard\"", "/tiers/4/name" },
        { "/vip_floor_tier", "\"bronze\"", "/vip_floor_tier" },
        { "/vip_floor_tier", "\"Gold\"", "/vip_floor_tier" },
        { "/vip_floor_tier", NULL, "/vip_floor_tier" },
        /* windows and caps */
        { "/window_days", "0", "/window_days" },
        { "/window_days", "3651", "/window_days" },
        { "/window_days", "-1", "/window_days" },
        { "/window_days", "\"1095\"", "/window_days" },
        { "/window_days", NULL, "/window_days" },
        { "/recency_days", "0", "/recency_days" },
        { "/recency_days", "3651", "/recency_days" },
        { "/recency_days", NULL, "/recency_days" },
        { "/frequency_cap", "0", "/frequency_cap" },
        { "/frequency_cap", "1001", "/frequency_cap" },
        { "/frequency_cap", NULL, "/frequency_cap" },
        { "/monetary_cap", "0", "/monetary_cap" },
        { "/monetary_cap", "\"0.00\"", "/monetary_cap" },
        { "/monetary_cap", "\"-100.00\"", "/monetary_cap" },
        { "/monetary_cap", "\"100.001\"", "/monetary_cap" },
        { "/monetary_cap", "\"lots\"", "/monetary_cap" },
        { "/monetary_cap", NULL, "/monetary_cap" },
        /* currencies */
        { "/base_currency", "\"XXX\"", "/base_currency" },
        { "/base_currency", "\"eur\"", "/base_currency" },
        { "/base_currency", "\"EURO\"", "/base_currency" },
        { "/base_currency", NULL, "/base_currency" },
        { "/fx_rates/ABC", "\"1.10\"", "/fx_rates/ABC" },
        { "/fx_rates/usd", "\"1.10\"", "/fx_rates/usd" },
        { "/fx_rates/EUR", "\"1\"", "/fx_rates/EUR" },                /* the base currency */
        { "/fx_rates/USD", "0", "/fx_rates/USD" },
        { "/fx_rates/USD", "\"0\"", "/fx_rates/USD" },
        { "/fx_rates/USD", "-1", "/fx_rates/USD" },
        { "/fx_rates/USD", "\"-1\"", "/fx_rates/USD" },
        { "/fx_rates/USD", "\"0.1234567\"", "/fx_rates/USD" },        /* 7 decimals */
        { "/fx_rates/USD", "0.1234567", "/fx_rates/USD" },
        { "/fx_rates/USD", "\"cheap\"", "/fx_rates/USD" },
        { "/fx_rates/USD", "null", "/fx_rates/USD" },
        { "/fx_rates", "[]", "/fx_rates" },
        { "/fx_rates", "\"USD=0.92\"", "/fx_rates" },
        /* unknown members */
        { "/foo", "1", "/foo" },
        { "/score", "50", "/score" },
};

START_TEST(test_invalid_change_refused)
{
        json_t *doc = default_config();
        char what[300];

        set_at(doc, invalid_changes[_i].pointer, invalid_changes[_i].value);
        snprintf(what, sizeof(what), "%s = %s", invalid_changes[_i].pointer,
                 invalid_changes[_i].value ? invalid_changes[_i].value : "(removed)");
        expect(doc, invalid_changes[_i].expected, what, NULL);
        json_decref(doc);
}
END_TEST

/* Base currency changed to one that has a rate: the rate is now for the base currency itself. */
START_TEST(test_rate_for_new_base_refused)
{
        json_t *doc = default_config();

        set_at(doc, "/base_currency", "\"USD\"");
        expect(doc, "/fx_rates/USD", "base USD with a USD rate", NULL);
        json_decref(doc);
}
END_TEST

START_TEST(test_eleven_tiers_refused)
{
        json_t *doc = default_config();
        char *tiers = tiers_text(11);

        set_at(doc, "/tiers", tiers);
        expect(doc, "/tiers", "11 tiers", NULL);
        free(tiers);
        json_decref(doc);
}
END_TEST

START_TEST(test_not_an_object)
{
        const char *docs[] = { "[]", "null", "\"config\"", "42" };
        for (int i = 0; i < N(docs); i++) {
                struct gd_error err;
                json_t *doc = parse(docs[i]);
                memset(&err, 0, sizeof(err));
                ck_assert_msg(gd_loyalty_config_validate(doc, &err) == GD_ERR_INVALID, "%s accepted", docs[i]);
                json_decref(doc);
        }
}
END_TEST

START_TEST(test_empty_object_lists_every_required_member)
{
        const char *members[] = { "/base_currency", "/window_days", "/recency_days", "/frequency_cap",
                                  "/monetary_cap", "/weights", "/tiers", "/vip_floor_tier" };
        struct gd_error err;
        json_t *doc = parse("{}");
        char got[4096];

        expect(doc, "/weights", "{}", &err);
        describe(&err, got, sizeof(got));
        for (int i = 0; i < N(members); i++)
                ck_assert_msg(has_message(&err, members[i]), "{}: no field error at %s: [%s]", members[i], got);
        json_decref(doc);
}
END_TEST

/* Several broken members: every one is listed, not only the first. */
START_TEST(test_several_errors_listed)
{
        const char *expected[] = { "/weights", "/tiers/1/colour", "/tiers/3/name", "/window_days",
                                   "/frequency_cap", "/base_currency", "/fx_rates/ABC", "/foo" };
        struct gd_error err;
        json_t *doc = default_config();
        char got[4096];

        set_at(doc, "/weights/credit", "0.2");
        set_at(doc, "/tiers/1/colour", "\"red\"");
        set_at(doc, "/tiers/3/name", "\"Platinum\"");
        set_at(doc, "/window_days", "0");
        set_at(doc, "/frequency_cap", "1001");
        set_at(doc, "/base_currency", "\"XXX\"");
        set_at(doc, "/fx_rates/ABC", "\"2\"");
        set_at(doc, "/foo", "true");
        expect(doc, "/weights", "several errors", &err);
        describe(&err, got, sizeof(got));
        for (int i = 0; i < N(expected); i++)
                ck_assert_msg(has_message(&err, expected[i]), "no field error at %s among [%s]", expected[i], got);
        ck_assert_msg(err.n_fields >= (size_t)N(expected), "%zu field errors for %d broken members: [%s]",
                      err.n_fields, N(expected), got);
        ck_assert_msg(strstr(err.detail, "invalid") != NULL || err.detail[0] != '\0', "no detail");
        json_decref(doc);
}
END_TEST

/* A valid body reports no pointer twice and a single broken member gives a single field error. */
START_TEST(test_one_error_for_one_broken_member)
{
        const char *cases[][3] = {
                { "/window_days", "0", "/window_days" },
                { "/tiers/1/colour", "\"red\"", "/tiers/1/colour" },
                { "/fx_rates/USD", "\"0\"", "/fx_rates/USD" },
                { "/foo", "1", "/foo" },
                { "/weights/credit", "0", "/weights" },
        };
        for (int i = 0; i < N(cases); i++) {
                struct gd_error err;
                char got[4096];
                json_t *doc = default_config();
                set_at(doc, cases[i][0], cases[i][1]);
                expect(doc, cases[i][2], cases[i][0], &err);
                describe(&err, got, sizeof(got));
                ck_assert_msg(err.n_fields == 1, "%s = %s: expected one field error, got [%s]", cases[i][0],
                              cases[i][1], got);
                json_decref(doc);
        }
}
END_TEST

/* ---- gd_loyalty_config_normalize ---- */

static void assert_real(const json_t *v, double expected, const char *what)
{
        ck_assert_msg(json_is_real(v), "%s is not a JSON real (type %d)", what, v ? (int)json_typeof(v) : -1);
        ck_assert_msg(json_real_value(v) > expected - 1e-9 && json_real_value(v) < expected + 1e-9,
                      "%s is %.10g, expected %.10g", what, json_real_value(v), expected);
}

START_TEST(test_normalize_default)
{
        json_t *doc = default_config();
        json_t *copy;
        json_t *n, *l, *w, *tiers;
        const double weights[] = { 0.25, 0.25, 0.30, 0.10, 0.10 };
        const char *names[] = { "recency", "frequency", "monetary", "satisfaction", "credit" };
        const double scores[] = { 0, 30, 50, 70, 85 };
        const char *tier_names[] = { "standard", "silver", "gold", "platinum", "diamond" };
        const char *colours[] = { "#9E9E9E", "#C0C0C0", "#D4AF37", "#E5E4E2", "#B9F2FF" };

        set_at(doc, "/formula_version", "3");
        set_at(doc, "/updated_at", "\"2026-05-01T10:00:00.000000Z\"");
        copy = json_deep_copy(doc);
        n = gd_loyalty_config_normalize(doc);
        ck_assert_ptr_nonnull(n);
        ck_assert_msg(json_equal(doc, copy), "normalize modified its input");
        ck_assert_str_eq(json_string_value(json_object_get(n, "base_currency")), "EUR");
        ck_assert(json_is_object(json_object_get(n, "fx_rates")));
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(n, "fx_rates"), "USD")), "0.92");
        ck_assert_int_eq(json_object_size(json_object_get(n, "fx_rates")), 1);
        l = json_object_get(n, "loyalty");
        ck_assert(json_is_object(l));
        ck_assert_ptr_null(json_object_get(l, "formula_version"));
        ck_assert_ptr_null(json_object_get(l, "updated_at"));
        ck_assert_ptr_null(json_object_get(l, "base_currency"));
        ck_assert_ptr_null(json_object_get(l, "fx_rates"));
        ck_assert_ptr_null(json_object_get(n, "formula_version"));
        ck_assert_int_eq(json_integer_value(json_object_get(l, "window_days")), 1095);
        ck_assert(json_is_integer(json_object_get(l, "window_days")));
        ck_assert_int_eq(json_integer_value(json_object_get(l, "recency_days")), 365);
        ck_assert(json_is_integer(json_object_get(l, "recency_days")));
        ck_assert_int_eq(json_integer_value(json_object_get(l, "frequency_cap")), 20);
        ck_assert(json_is_integer(json_object_get(l, "frequency_cap")));
        ck_assert(json_is_string(json_object_get(l, "monetary_cap")));
        ck_assert_str_eq(json_string_value(json_object_get(l, "monetary_cap")), "50000.00");
        ck_assert_str_eq(json_string_value(json_object_get(l, "vip_floor_tier")), "gold");
        w = json_object_get(l, "weights");
        ck_assert_int_eq(json_object_size(w), 5);
        for (int i = 0; i < 5; i++)
                assert_real(json_object_get(w, names[i]), weights[i], names[i]);
        tiers = json_object_get(l, "tiers");
        ck_assert_int_eq(json_array_size(tiers), 5);
        for (int i = 0; i < 5; i++) {
                json_t *t = json_array_get(tiers, (size_t)i);
                ck_assert_str_eq(json_string_value(json_object_get(t, "name")), tier_names[i]);
                ck_assert_str_eq(json_string_value(json_object_get(t, "colour")), colours[i]);
                assert_real(json_object_get(t, "min_score"), scores[i], tier_names[i]);
                ck_assert_int_eq(json_object_size(t), 3);
        }
        json_decref(n);
        json_decref(copy);
        json_decref(doc);
}
END_TEST

START_TEST(test_normalize_numbers_and_strings)
{
        json_t *doc = default_config();
        json_t *n, *l, *rates;

        set_at(doc, "/fx_rates", "{\"USD\": 0.92, \"GBP\": \"1.170000\", \"JPY\": 0.006, \"CHF\": 1}");
        set_at(doc, "/weights", "{\"recency\": \"0.2\", \"frequency\": 0.2, \"monetary\": 0.2, \"satisfaction\": 0.2,"
                                " \"credit\": \"0.2\"}");
        set_at(doc, "/tiers/1/min_score", "\"30.5\"");
        set_at(doc, "/monetary_cap", "25000");
        expect(doc, NULL, "mixed numbers and strings", NULL);
        n = gd_loyalty_config_normalize(doc);
        ck_assert_ptr_nonnull(n);
        rates = json_object_get(n, "fx_rates");
        ck_assert_int_eq(json_object_size(rates), 4);
        ck_assert(json_is_string(json_object_get(rates, "USD")));
        ck_assert_str_eq(json_string_value(json_object_get(rates, "USD")), "0.92");
        ck_assert(json_is_string(json_object_get(rates, "GBP")));
        ck_assert_msg(strtod(json_string_value(json_object_get(rates, "GBP")), NULL) == 1.17, "GBP %s",
                      json_string_value(json_object_get(rates, "GBP")));
        ck_assert(json_is_string(json_object_get(rates, "JPY")));
        ck_assert_str_eq(json_string_value(json_object_get(rates, "JPY")), "0.006");
        ck_assert(json_is_string(json_object_get(rates, "CHF")));
        ck_assert_str_eq(json_string_value(json_object_get(rates, "CHF")), "1");
        l = json_object_get(n, "loyalty");
        assert_real(json_object_get(json_object_get(l, "weights"), "recency"), 0.2, "recency (a string)");
        assert_real(json_object_get(json_object_get(l, "weights"), "frequency"), 0.2, "frequency");
        assert_real(json_object_get(json_object_get(l, "weights"), "credit"), 0.2, "credit (a string)");
        assert_real(json_object_get(json_array_get(json_object_get(l, "tiers"), 1), "min_score"), 30.5,
                    "silver min_score (a string)");
        ck_assert(json_is_string(json_object_get(l, "monetary_cap")));
        ck_assert_msg(strtod(json_string_value(json_object_get(l, "monetary_cap")), NULL) == 25000.0,
                      "monetary_cap %s", json_string_value(json_object_get(l, "monetary_cap")));
        json_decref(n);
        json_decref(doc);
}
END_TEST

START_TEST(test_normalize_no_rates)
{
        json_t *doc = default_config();
        json_t *n;

        json_object_del(doc, "fx_rates");
        n = gd_loyalty_config_normalize(doc);
        ck_assert_ptr_nonnull(n);
        ck_assert(json_is_object(json_object_get(n, "fx_rates")));
        ck_assert_int_eq(json_object_size(json_object_get(n, "fx_rates")), 0);
        json_decref(n);
        json_decref(doc);
}
END_TEST

static Suite *loyalty_suite(void)
{
        Suite *s = suite_create("loyalty");
        TCase *tc = tcase_create("accepted");

        tcase_add_test(tc, test_default_accepted);
        tcase_add_loop_test(tc, test_read_only_members_ignored, 0, N(ignored_cases));
        tcase_add_loop_test(tc, test_valid_change_accepted, 0, N(valid_changes));
        tcase_add_test(tc, test_ten_tiers_accepted);
        tcase_add_test(tc, test_monetary_cap_below_one_accepted);
        suite_add_tcase(s, tc);

        tc = tcase_create("refused");
        tcase_add_loop_test(tc, test_invalid_change_refused, 0, N(invalid_changes));
        tcase_add_test(tc, test_rate_for_new_base_refused);
        tcase_add_test(tc, test_eleven_tiers_refused);
        tcase_add_test(tc, test_not_an_object);
        tcase_add_test(tc, test_empty_object_lists_every_required_member);
        tcase_add_test(tc, test_several_errors_listed);
        tcase_add_test(tc, test_one_error_for_one_broken_member);
        suite_add_tcase(s, tc);

        tc = tcase_create("normalize");
        tcase_add_test(tc, test_normalize_default);
        tcase_add_test(tc, test_normalize_numbers_and_strings);
        tcase_add_test(tc, test_normalize_no_rates);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(loyalty_suite()));
}
