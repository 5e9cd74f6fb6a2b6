/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/section.h: each section's field rules, cross-field rules, patches, normalization. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/date.h"
#include "guestd/error.h"
#include "guestd/section.h"

#include "gd_check.h"

/* Every rule is checked against this fixed day, never the clock. */
static const struct gd_date TODAY = { 2026, 6, 15 };

#define UUID "f47ac10b-58cc-4372-a567-0e02b2c3d479"

#define STAYS GD_SECTION_STAYS
#define CONS GD_SECTION_CONSUMPTIONS
#define PREFS GD_SECTION_PREFERENCES
#define DATES GD_SECTION_SPECIAL_DATES
#define COMPL GD_SECTION_COMPLAINTS

/* The smallest valid item of each section: the member cases below change one member of it. */
static const char *const BASE[_GD_SECTION_MAX] = {
        [STAYS] = "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-03\", \"currency\": \"EUR\"}",
        [CONS] = "{\"occurred_at\": \"2026-05-01T19:30:00Z\", \"category\": \"dining\", \"amount\": \"42.00\","
                 " \"currency\": \"EUR\"}",
        [PREFS] = "{\"category\": \"room\", \"key\": \"pillow\", \"value\": \"firm\"}",
        [DATES] = "{\"kind\": \"birthday\", \"date\": \"1985-07-04\"}",
        [COMPL] = "{\"category\": \"noise\", \"severity\": \"low\", \"description\": \"Loud party next door.\"}",
};

/* Writable members of each section, in table order. */
static const char *const STAY_MEMBERS[] = { "check_in", "check_out", "status", "room_type", "room_number",
                                            "booking_channel", "purpose", "adults", "children", "rate_amount",
                                            "currency", "amenities_used", "external_ref", NULL };
static const char *const CONS_MEMBERS[] = { "occurred_at", "category", "dining_type", "covers", "amount",
                                            "currency", "discount_rate", "payment_method", "payment_status",
                                            "revenue", "stay_id", "description", NULL };
static const char *const PREF_MEMBERS[] = { "category", "key", "value", "source", "note", NULL };
static const char *const DATE_MEMBERS[] = { "kind", "date", "label", NULL };
static const char *const COMPL_MEMBERS[] = { "received_at", "stay_id", "category", "severity", "description",
                                             "status", "resolution", "compensation_amount",
                                             "compensation_currency", "feedback_score", NULL };

static const char *const *const MEMBERS[_GD_SECTION_MAX] = {
        [STAYS] = STAY_MEMBERS, [CONS] = CONS_MEMBERS, [PREFS] = PREF_MEMBERS,
        [DATES] = DATE_MEMBERS, [COMPL] = COMPL_MEMBERS,
};

/* ---- helpers ---- */

/* The base item of s with `member` set to value (stolen), or removed when value is NULL. */
static json_t *base_with(enum gd_section s, const char *member, json_t *value)
{
        json_t *doc = parse(BASE[s]);

        if (value)
                ck_assert_int_eq(json_object_set_new(doc, member, value), 0);
        else
                json_object_del(doc, member);
        return doc;
}

static size_t count_at(const struct gd_error *err, const char *ptr)
{
        size_t i, n = 0;

        for (i = 0; i < err->n_fields && i < GD_ERROR_MAX_FIELDS; i++)
                n += strcmp(err->fields[i].pointer, ptr) == 0;
        return n;
}

/* Validates and checks the outcome: pointer NULL means valid, else one field error at pointer. */
static void expect(enum gd_section s, const json_t *doc, const json_t *before, const char *pointer, const char *what,
                   struct gd_error *ret_err)
{
        struct gd_error err;
        char got[4096];
        json_t *copy = json_deep_copy(doc);
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_section_validate(s, doc, before, &TODAY, &err);
        describe(&err, got, sizeof(got));
        ck_assert_msg(json_equal(doc, copy), "%s: validate modified the document", what);
        json_decref(copy);
        if (!pointer) {
                ck_assert_msg(rc == GD_OK, "%s: rejected (rc %d): [%s] detail \"%s\"", what, rc, got, err.detail);
                ck_assert_msg(err.n_fields == 0, "%s: accepted but fields reported [%s]", what, got);
        } else {
                ck_assert_msg(rc == GD_ERR_INVALID, "%s: expected GD_ERR_INVALID, got %d", what, rc);
                ck_assert_msg(err.code == GD_ERR_INVALID, "%s: reterr->code is %d", what, err.code);
                ck_assert_msg(message_at(&err, pointer) != NULL, "%s: expected pointer \"%s\", reported [%s]",
                              what, pointer, got);
        }
        if (ret_err)
                *ret_err = err;
}

/* ---- paths, nouns, sensitive categories ---- */

static const struct {
        enum gd_section s;
        const char *path, *noun;
} names[] = {
        { STAYS, "stays", "stay" },
        { CONS, "consumptions", "consumption" },
        { PREFS, "preferences", "preference" },
        { DATES, "special-dates", "special date" },
        { COMPL, "complaints", "complaint" },
};

START_TEST(test_names)
{
        ck_assert_str_eq(gd_section_path(names[_i].s), names[_i].path);
        ck_assert_str_eq(gd_section_noun(names[_i].s), names[_i].noun);
}
END_TEST

START_TEST(test_names_out_of_range)
{
        struct gd_error err;
        json_t *doc = parse("{}");

        ck_assert_ptr_null(gd_section_path(_GD_SECTION_MAX));
        ck_assert_ptr_null(gd_section_noun(_GD_SECTION_MAX));
        ck_assert_ptr_null(gd_section_normalize(_GD_SECTION_MAX, doc));
        memset(&err, 0, sizeof(err));
        ck_assert_int_ne(gd_section_validate(_GD_SECTION_MAX, doc, NULL, &TODAY, &err), GD_OK);
        memset(&err, 0, sizeof(err));
        ck_assert_int_ne(gd_section_check_patch(_GD_SECTION_MAX, doc, &err), GD_OK);
        json_decref(doc);
}
END_TEST

START_TEST(test_sensitive_categories)
{
        ck_assert(gd_preference_category_is_sensitive("allergy"));
        ck_assert(gd_preference_category_is_sensitive("taboo"));
        ck_assert(gd_preference_category_is_sensitive("hygiene"));
        ck_assert(!gd_preference_category_is_sensitive("room"));
        ck_assert(!gd_preference_category_is_sensitive("dining"));
        ck_assert(!gd_preference_category_is_sensitive("habit"));
        ck_assert(!gd_preference_category_is_sensitive("Allergy"));
        ck_assert(!gd_preference_category_is_sensitive("allergies"));
        ck_assert(!gd_preference_category_is_sensitive(""));
        ck_assert(!gd_preference_category_is_sensitive(NULL));
}
END_TEST

/* ---- one member of the base item changed: value NULL removes it; pointer NULL means valid ---- */

static const struct {
        enum gd_section s;
        const char *member;
        const char *value;
        const char *pointer;
} member_cases[] = {
        /* ===== stays ===== */
        { STAYS, "check_in", NULL, "/check_in" },
        { STAYS, "check_in", "null", "/check_in" },
        { STAYS, "check_in", "\"2026-13-01\"", "/check_in" },
        { STAYS, "check_in", "\"2026-5-1\"", "/check_in" },
        { STAYS, "check_in", "\"2026-05-01T00:00:00Z\"", "/check_in" },
        { STAYS, "check_in", "20260501", "/check_in" },
        { STAYS, "check_in", "\"1900-01-01\"", NULL },
        { STAYS, "check_in", "\"1899-12-31\"", "/check_in" },
        { STAYS, "check_out", NULL, "/check_out" },
        { STAYS, "check_out", "null", "/check_out" },
        { STAYS, "check_out", "\"2100-12-31\"", NULL },
        { STAYS, "check_out", "\"2101-01-01\"", "/check_out" },
        { STAYS, "check_out", "\"2026-02-30\"", "/check_out" },
        { STAYS, "status", "\"reserved\"", NULL },
        { STAYS, "status", "\"in_house\"", NULL },
        { STAYS, "status", "\"completed\"", NULL },
        { STAYS, "status", "\"no_show\"", NULL },
        { STAYS, "status", "\"cancelled\"", NULL },
        { STAYS, "status", "null", NULL },
        { STAYS, "status", "\"checked_in\"", "/status" },
        { STAYS, "status", "\"Reserved\"", "/status" },
        { STAYS, "status", "\"\"", "/status" },
        { STAYS, "status", "1", "/status" },
        { STAYS, "room_type", "\"standard\"", NULL },
        { STAYS, "room_type", "\"superior\"", NULL },
        { STAYS, "room_type", "\"deluxe\"", NULL },
        { STAYS, "room_type", "\"junior_suite\"", NULL },
        { STAYS, "room_type", "\"suite\"", NULL },
        { STAYS, "room_type", "\"family\"", NULL },
        { STAYS, "room_type", "\"accessible\"", NULL },
        { STAYS, "room_type", "\"other\"", NULL },
        { STAYS, "room_type", "null", NULL },
        { STAYS, "room_type", "\"penthouse\"", "/room_type" },
        { STAYS, "room_type", "\"junior suite\"", "/room_type" },
        { STAYS, "room_number", "\"1\"", NULL },
        { STAYS, "room_number", "\"\"", "/room_number" },
        { STAYS, "room_number", "\"  \"", "/room_number" },
        { STAYS, "room_number", "412", "/room_number" },
        { STAYS, "room_number", "\"4\\n12\"", "/room_number" },
        { STAYS, "booking_channel", "\"phone\"", NULL },
        { STAYS, "booking_channel", "\"web\"", NULL },
        { STAYS, "booking_channel", "\"walk_in\"", NULL },
        { STAYS, "booking_channel", "\"ota\"", NULL },
        { STAYS, "booking_channel", "\"travel_agent\"", NULL },
        { STAYS, "booking_channel", "\"corporate\"", NULL },
        { STAYS, "booking_channel", "\"group\"", NULL },
        { STAYS, "booking_channel", "\"email\"", "/booking_channel" },
        { STAYS, "purpose", "\"leisure\"", NULL },
        { STAYS, "purpose", "\"business\"", NULL },
        { STAYS, "purpose", "\"conference\"", NULL },
        { STAYS, "purpose", "\"event\"", NULL },
        { STAYS, "purpose", "\"family\"", NULL },
        { STAYS, "purpose", "\"medical\"", NULL },
        { STAYS, "purpose", "\"other\"", NULL },
        { STAYS, "purpose", "\"holiday\"", "/purpose" },
        { STAYS, "adults", "1", NULL },
        { STAYS, "adults", "50", NULL },
        { STAYS, "adults", "0", "/adults" },
        { STAYS, "adults", "51", "/adults" },
        { STAYS, "adults", "-1", "/adults" },
        { STAYS, "adults", "\"2\"", "/adults" },
        { STAYS, "adults", "1.5", "/adults" },
        { STAYS, "adults", "2.0", "/adults" },
        { STAYS, "adults", "true", "/adults" },
        { STAYS, "adults", "null", NULL },
        { STAYS, "children", "0", NULL },
        { STAYS, "children", "50", NULL },
        { STAYS, "children", "-1", "/children" },
        { STAYS, "children", "51", "/children" },
        { STAYS, "rate_amount", "\"245.50\"", NULL },
        { STAYS, "rate_amount", "\"245.5\"", NULL },
        { STAYS, "rate_amount", "245.5", NULL },
        { STAYS, "rate_amount", "245.50", NULL },
        { STAYS, "rate_amount", "245", NULL },
        { STAYS, "rate_amount", "0", NULL },
        { STAYS, "rate_amount", "\"0\"", NULL },
        { STAYS, "rate_amount", "0.1", NULL },
        { STAYS, "rate_amount", "0.01", NULL },
        { STAYS, "rate_amount", "1e2", NULL },
        { STAYS, "rate_amount", "-0.0", NULL },
        { STAYS, "rate_amount", "\"999999999999.99\"", NULL },
        { STAYS, "rate_amount", "123456789012.25", NULL },
        { STAYS, "rate_amount", "\"1000000000000\"", "/rate_amount" },
        { STAYS, "rate_amount", "1234567890123", "/rate_amount" },
        { STAYS, "rate_amount", "\"245.505\"", "/rate_amount" },
        { STAYS, "rate_amount", "245.505", "/rate_amount" },
        { STAYS, "rate_amount", "0.001", "/rate_amount" },
        { STAYS, "rate_amount", "-1", "/rate_amount" },
        { STAYS, "rate_amount", "\"-0.01\"", "/rate_amount" },
        { STAYS, "rate_amount", "-0.01", "/rate_amount" },
        { STAYS, "rate_amount", "\"abc\"", "/rate_amount" },
        { STAYS, "rate_amount", "\"\"", "/rate_amount" },
        { STAYS, "rate_amount", "\"245.\"", "/rate_amount" },
        { STAYS, "rate_amount", "\".5\"", "/rate_amount" },
        { STAYS, "rate_amount", "\"1e2\"", "/rate_amount" },
        { STAYS, "rate_amount", "\"+5\"", "/rate_amount" },
        { STAYS, "rate_amount", "\" 5\"", "/rate_amount" },
        { STAYS, "rate_amount", "\"5,00\"", "/rate_amount" },
        { STAYS, "rate_amount", "true", "/rate_amount" },
        { STAYS, "rate_amount", "[245]", "/rate_amount" },
        { STAYS, "rate_amount", "{}", "/rate_amount" },
        { STAYS, "rate_amount", "null", NULL },
        { STAYS, "currency", "\"USD\"", NULL },
        { STAYS, "currency", "\"eur\"", "/currency" },
        { STAYS, "currency", "\"EURO\"", "/currency" },
        { STAYS, "currency", "\"ZZZ\"", "/currency" },
        { STAYS, "currency", "978", "/currency" },
        { STAYS, "amenities_used", "{}", NULL },
        { STAYS, "amenities_used", "null", NULL },
        { STAYS, "amenities_used", "{\"spa\": 0}", NULL },
        { STAYS, "amenities_used", "{\"spa\": 10000, \"gym\": 1}", NULL },
        { STAYS, "amenities_used", "{\"spa\": 10001}", "/amenities_used/spa" },
        { STAYS, "amenities_used", "{\"spa\": -1}", "/amenities_used/spa" },
        { STAYS, "amenities_used", "{\"spa\": 1.5}", "/amenities_used/spa" },
        { STAYS, "amenities_used", "{\"spa\": \"2\"}", "/amenities_used/spa" },
        { STAYS, "amenities_used", "{\"spa\": null}", "/amenities_used/spa" },
        { STAYS, "amenities_used", "{\"a/b\": true}", "/amenities_used/a~1b" },
        { STAYS, "amenities_used", "{\"\": 1}", "/amenities_used/" },
        { STAYS, "amenities_used", "{\"sp\\ta\": 1}", "/amenities_used/sp\ta" },
        { STAYS, "amenities_used", "[\"spa\"]", "/amenities_used" },
        { STAYS, "amenities_used", "\"spa\"", "/amenities_used" },
        { STAYS, "external_ref", "\"R-1\"", NULL },
        { STAYS, "external_ref", "\"\"", "/external_ref" },
        { STAYS, "external_ref", "7", "/external_ref" },
        { STAYS, "nights", "2", "/nights" },
        { STAYS, "month", "\"2026-05\"", "/month" },
        { STAYS, "guest_id", "\"" UUID "\"", "/guest_id" },
        { STAYS, "room", "\"412\"", "/room" },

        /* ===== consumptions ===== */
        { CONS, "occurred_at", NULL, "/occurred_at" },
        { CONS, "occurred_at", "null", "/occurred_at" },
        { CONS, "occurred_at", "\"2026-05-01T19:30:00+02:00\"", NULL },
        { CONS, "occurred_at", "\"2026-05-01T19:30:00.123456Z\"", NULL },
        { CONS, "occurred_at", "\"2026-05-01\"", "/occurred_at" },
        { CONS, "occurred_at", "\"2026-05-01 19:30:00Z\"", "/occurred_at" },
        /* body timestamps: 1900-01-01 to a day after now (the start of TODAY here), seconds 00..59,
         * offsets within ±14:00 (gd_body_timestamp_check) */
        { CONS, "occurred_at", "\"1900-01-01T00:00:00Z\"", NULL },
        { CONS, "occurred_at", "\"1899-12-31T23:59:59Z\"", "/occurred_at" },
        { CONS, "occurred_at", "\"0001-01-01T00:00:00Z\"", "/occurred_at" },
        { CONS, "occurred_at", "\"2026-06-16T00:00:00Z\"", NULL },
        { CONS, "occurred_at", "\"2026-06-16T00:00:01Z\"", "/occurred_at" },
        { CONS, "occurred_at", "\"9999-12-31T23:59:60Z\"", "/occurred_at" },
        { CONS, "occurred_at", "\"2016-12-31T23:59:60Z\"", "/occurred_at" },
        { CONS, "occurred_at", "\"2026-05-01T19:30:00+14:00\"", NULL },
        { CONS, "occurred_at", "\"2026-05-01T19:30:00+16:00\"", "/occurred_at" },
        { CONS, "occurred_at", "\"2026-05-01T24:00:00Z\"", "/occurred_at" },
        { CONS, "occurred_at", "1746127800", "/occurred_at" },
        { CONS, "category", NULL, "/category" },
        { CONS, "category", "\"room\"", NULL },
        { CONS, "category", "\"bar\"", NULL },
        { CONS, "category", "\"spa\"", NULL },
        { CONS, "category", "\"minibar\"", NULL },
        { CONS, "category", "\"laundry\"", NULL },
        { CONS, "category", "\"event\"", NULL },
        { CONS, "category", "\"transport\"", NULL },
        { CONS, "category", "\"other\"", NULL },
        { CONS, "category", "\"food\"", "/category" },
        { CONS, "dining_type", "\"breakfast\"", NULL },
        { CONS, "dining_type", "\"lunch\"", NULL },
        { CONS, "dining_type", "\"dinner\"", NULL },
        { CONS, "dining_type", "\"banquet\"", NULL },
        { CONS, "dining_type", "\"room_service\"", NULL },
        { CONS, "dining_type", "null", NULL },
        { CONS, "dining_type", "\"brunch\"", "/dining_type" },
        { CONS, "covers", "1", NULL },
        { CONS, "covers", "1000", NULL },
        { CONS, "covers", "0", "/covers" },
        { CONS, "covers", "1001", "/covers" },
        { CONS, "covers", "\"2\"", "/covers" },
        { CONS, "amount", NULL, "/amount" },
        { CONS, "amount", "null", "/amount" },
        { CONS, "amount", "\"245.50\"", NULL },
        { CONS, "amount", "245.5", NULL },
        { CONS, "amount", "0", NULL },
        { CONS, "amount", "\"245.505\"", "/amount" },
        { CONS, "amount", "-1", "/amount" },
        { CONS, "amount", "\"abc\"", "/amount" },
        { CONS, "amount", "true", "/amount" },
        { CONS, "currency", NULL, "/currency" },
        { CONS, "currency", "null", "/currency" },
        { CONS, "currency", "\"Eur\"", "/currency" },
        { CONS, "discount_rate", "0", NULL },
        { CONS, "discount_rate", "\"0\"", NULL },
        { CONS, "discount_rate", "1", NULL },
        { CONS, "discount_rate", "\"1.0000\"", NULL },
        { CONS, "discount_rate", "0.15", NULL },
        { CONS, "discount_rate", "\"0.1234\"", NULL },
        { CONS, "discount_rate", "0.0001", NULL },
        { CONS, "discount_rate", "null", NULL },
        { CONS, "discount_rate", "\"0.12345\"", "/discount_rate" },
        { CONS, "discount_rate", "1.0001", "/discount_rate" },
        { CONS, "discount_rate", "\"1.0001\"", "/discount_rate" },
        { CONS, "discount_rate", "2", "/discount_rate" },
        { CONS, "discount_rate", "-0.0001", "/discount_rate" },
        { CONS, "discount_rate", "\"abc\"", "/discount_rate" },
        { CONS, "discount_rate", "true", "/discount_rate" },
        { CONS, "payment_method", "\"cash\"", NULL },
        { CONS, "payment_method", "\"card\"", NULL },
        { CONS, "payment_method", "\"room_charge\"", NULL },
        { CONS, "payment_method", "\"bank_transfer\"", NULL },
        { CONS, "payment_method", "\"voucher\"", NULL },
        { CONS, "payment_method", "\"other\"", NULL },
        { CONS, "payment_method", "\"crypto\"", "/payment_method" },
        { CONS, "payment_status", "\"paid\"", NULL },
        { CONS, "payment_status", "\"pending\"", NULL },
        { CONS, "payment_status", "\"unpaid\"", NULL },
        { CONS, "payment_status", "\"disputed\"", NULL },
        { CONS, "payment_status", "\"written_off\"", NULL },
        { CONS, "payment_status", "\"refunded\"", "/payment_status" },
        { CONS, "revenue", "\"0.00\"", NULL },
        { CONS, "revenue", "12.3", NULL },
        { CONS, "revenue", "-1", "/revenue" },
        { CONS, "revenue", "\"1.001\"", "/revenue" },
        { CONS, "stay_id", "\"" UUID "\"", NULL },
        { CONS, "stay_id", "null", NULL },
        { CONS, "stay_id", "\"F47AC10B-58CC-4372-A567-0E02B2C3D479\"", "/stay_id" },
        { CONS, "stay_id", "\"123\"", "/stay_id" },
        { CONS, "stay_id", "42", "/stay_id" },
        { CONS, "description", "\"Dinner for two\"", NULL },
        { CONS, "description", "\"\"", "/description" },
        { CONS, "description", "\"a\\nb\"", "/description" },
        { CONS, "per_person", "\"21.00\"", "/per_person" },
        { CONS, "version", "1", "/version" },
        { CONS, "tip", "1", "/tip" },

        /* ===== preferences ===== */
        { PREFS, "category", NULL, "/category" },
        { PREFS, "category", "\"dining\"", NULL },
        { PREFS, "category", "\"amenity\"", NULL },
        { PREFS, "category", "\"hygiene\"", NULL },
        { PREFS, "category", "\"taboo\"", NULL },
        { PREFS, "category", "\"allergy\"", NULL },
        { PREFS, "category", "\"hobby\"", NULL },
        { PREFS, "category", "\"habit\"", NULL },
        { PREFS, "category", "\"reading\"", NULL },
        { PREFS, "category", "\"travel_purpose\"", NULL },
        { PREFS, "category", "\"communication\"", NULL },
        { PREFS, "category", "\"other\"", NULL },
        { PREFS, "category", "\"food\"", "/category" },
        { PREFS, "key", NULL, "/key" },
        { PREFS, "key", "\"\"", "/key" },
        { PREFS, "key", "\" \"", "/key" },
        { PREFS, "key", "5", "/key" },
        { PREFS, "value", NULL, "/value" },
        { PREFS, "value", "null", "/value" },
        { PREFS, "value", "\"\"", "/value" },
        { PREFS, "source", "\"staff\"", NULL },
        { PREFS, "source", "\"guest\"", NULL },
        { PREFS, "source", "null", NULL },
        { PREFS, "source", "\"inferred\"", "/source" },
        { PREFS, "source", "\"system\"", "/source" },
        { PREFS, "note", "\"\"", NULL },
        { PREFS, "note", "\"First line\\nsecond line\\tand a tab\"", NULL },
        { PREFS, "note", "\"bell\\u0007\"", "/note" },
        { PREFS, "note", "[]", "/note" },
        { PREFS, "evidence", "\"deluxe on 4 of the last 5 stays\"", "/evidence" },
        { PREFS, "id", "\"" UUID "\"", "/id" },

        /* ===== special dates ===== */
        { DATES, "kind", NULL, "/kind" },
        { DATES, "kind", "\"anniversary\"", NULL },
        { DATES, "kind", "\"other\"", NULL },
        { DATES, "kind", "\"wedding\"", "/kind" },
        { DATES, "date", NULL, "/date" },
        { DATES, "date", "\"2024-02-29\"", NULL },
        { DATES, "date", "\"2000-02-29\"", NULL },
        { DATES, "date", "\"2023-02-29\"", "/date" },
        { DATES, "date", "\"1900-02-29\"", "/date" },
        { DATES, "date", "\"2100-12-31\"", NULL },
        { DATES, "date", "\"2101-01-01\"", "/date" },
        { DATES, "date", "\"1900-01-01\"", NULL },
        { DATES, "date", "\"1899-12-31\"", "/date" },
        { DATES, "date", "\"07-04\"", "/date" },
        { DATES, "date", "\"2026-04-31\"", "/date" },
        { DATES, "label", "\"Wedding day\"", NULL },
        { DATES, "label", "null", NULL },
        { DATES, "label", "\"\"", "/label" },
        { DATES, "created_at", "\"2026-01-01T00:00:00.000000Z\"", "/created_at" },
        { DATES, "updated_at", "\"2026-01-01T00:00:00.000000Z\"", "/updated_at" },
        { DATES, "month_day", "\"07-04\"", "/month_day" },

        /* ===== complaints ===== */
        { COMPL, "received_at", "\"2026-05-01T10:00:00Z\"", NULL },
        { COMPL, "received_at", "null", NULL },
        { COMPL, "received_at", "\"yesterday\"", "/received_at" },
        { COMPL, "received_at", "\"2026-05-01\"", "/received_at" },
        { COMPL, "received_at", "\"2026-05-01T10:00:00-14:01\"", "/received_at" },
        { COMPL, "received_at", "\"2100-01-01T00:00:00Z\"", "/received_at" },
        { COMPL, "stay_id", "\"" UUID "\"", NULL },
        { COMPL, "stay_id", "\"not-a-uuid\"", "/stay_id" },
        { COMPL, "category", NULL, "/category" },
        { COMPL, "category", "\"room\"", NULL },
        { COMPL, "category", "\"service\"", NULL },
        { COMPL, "category", "\"cleanliness\"", NULL },
        { COMPL, "category", "\"food\"", NULL },
        { COMPL, "category", "\"billing\"", NULL },
        { COMPL, "category", "\"staff\"", NULL },
        { COMPL, "category", "\"amenities\"", NULL },
        { COMPL, "category", "\"other\"", NULL },
        { COMPL, "category", "\"price\"", "/category" },
        { COMPL, "severity", NULL, "/severity" },
        { COMPL, "severity", "\"medium\"", NULL },
        { COMPL, "severity", "\"high\"", NULL },
        { COMPL, "severity", "\"critical\"", NULL },
        { COMPL, "severity", "\"urgent\"", "/severity" },
        { COMPL, "description", NULL, "/description" },
        { COMPL, "description", "null", "/description" },
        { COMPL, "description", "\"\"", "/description" },
        { COMPL, "description", "\" \\n \"", "/description" },
        { COMPL, "description", "\"Line 1\\nLine 2\\r\\n\\tindented\"", NULL },
        { COMPL, "description", "\"esc\\u001b\"", "/description" },
        { COMPL, "status", "\"open\"", NULL },
        { COMPL, "status", "\"in_progress\"", NULL },
        { COMPL, "status", "\"resolved\"", NULL },
        { COMPL, "status", "\"closed\"", NULL },
        { COMPL, "status", "\"done\"", "/status" },
        { COMPL, "resolution", "\"\"", NULL },
        { COMPL, "resolution", "\"Moved to 512.\\nOffered a drink.\"", NULL },
        { COMPL, "resolution", "1", "/resolution" },
        { COMPL, "compensation_currency", "\"EUR\"", NULL },
        { COMPL, "compensation_currency", "\"eur\"", "/compensation_currency" },
        { COMPL, "feedback_score", "null", NULL },
        { COMPL, "resolved_at", "\"2026-05-02T10:00:00Z\"", "/resolved_at" },
        { COMPL, "guest_id", "\"" UUID "\"", "/guest_id" },
        { COMPL, "priority", "1", "/priority" },
};

START_TEST(test_member_cases)
{
        json_t *doc = base_with(member_cases[_i].s, member_cases[_i].member,
                                member_cases[_i].value ? parse(member_cases[_i].value) : NULL);
        char what[300];

        snprintf(what, sizeof(what), "%s: %s = %s", gd_section_path(member_cases[_i].s), member_cases[_i].member,
                 member_cases[_i].value ? member_cases[_i].value : "(absent)");
        expect(member_cases[_i].s, doc, NULL, member_cases[_i].pointer, what, NULL);
        json_decref(doc);
}
END_TEST

START_TEST(test_base_items_valid)
{
        json_t *doc = parse(BASE[_i]);

        expect((enum gd_section)_i, doc, NULL, NULL, BASE[_i], NULL);
        json_decref(doc);
}
END_TEST

/* ---- rules involving several members; `before` is the stored item on a PATCH ---- */

static const struct {
        enum gd_section s;
        const char *json;
        const char *before;
        const char *pointer;
} cross_cases[] = {
        /* check_out must be after check_in */
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\"}", NULL, NULL },
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-01\"}", NULL, "/check_out" },
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-04-30\"}", NULL, "/check_out" },
        { STAYS, "{\"check_in\": \"2025-12-31\", \"check_out\": \"2026-01-01\"}", NULL, NULL },
        { STAYS, "{\"check_in\": \"1900-01-01\", \"check_out\": \"2100-12-31\"}", NULL, NULL },
        { STAYS, "{\"check_in\": \"2024-02-28\", \"check_out\": \"2024-02-29\"}", NULL, NULL },
        { STAYS, "{\"check_in\": \"2023-02-28\", \"check_out\": \"2023-02-29\"}", NULL, "/check_out" },
        { STAYS, "{\"check_in\": \"2100-12-31\", \"check_out\": \"2101-01-01\"}", NULL, "/check_out" },
        /* currency is required with rate_amount */
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\", \"rate_amount\": \"120.00\"}", NULL,
          "/currency" },
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\", \"rate_amount\": 0, \"currency\": null}",
          NULL, "/currency" },
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\", \"rate_amount\": null}", NULL, NULL },
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\", \"rate_amount\": \"120.00\","
                 " \"currency\": \"JPY\"}", NULL, NULL },
        /* dining_type only with category dining */
        { CONS, "{\"occurred_at\": \"2026-05-01T08:00:00Z\", \"category\": \"bar\", \"dining_type\": \"breakfast\","
                " \"amount\": 12, \"currency\": \"EUR\"}", NULL, "/dining_type" },
        { CONS, "{\"occurred_at\": \"2026-05-01T08:00:00Z\", \"category\": \"room\", \"dining_type\": \"room_service\","
                " \"amount\": 12, \"currency\": \"EUR\"}", NULL, "/dining_type" },
        { CONS, "{\"occurred_at\": \"2026-05-01T08:00:00Z\", \"category\": \"bar\", \"dining_type\": null,"
                " \"amount\": 12, \"currency\": \"EUR\"}", NULL, NULL },
        { CONS, "{\"occurred_at\": \"2026-05-01T08:00:00Z\", \"category\": \"dining\", \"dining_type\": \"breakfast\","
                " \"amount\": 12, \"currency\": \"EUR\"}", NULL, NULL },
        /* compensation_currency is required with compensation_amount */
        { COMPL, "{\"category\": \"room\", \"severity\": \"high\", \"description\": \"Cold shower.\","
                 " \"compensation_amount\": \"50.00\"}", NULL, "/compensation_currency" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"high\", \"description\": \"Cold shower.\","
                 " \"compensation_amount\": 50, \"compensation_currency\": \"EUR\"}", NULL, NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"high\", \"description\": \"Cold shower.\","
                 " \"compensation_amount\": \"50.001\", \"compensation_currency\": \"EUR\"}", NULL,
          "/compensation_amount" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"high\", \"description\": \"Cold shower.\","
                 " \"compensation_amount\": -5, \"compensation_currency\": \"EUR\"}", NULL, "/compensation_amount" },
        /* feedback_score only once resolved or closed */
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"feedback_score\": 4}", NULL,
          "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\","
                 " \"feedback_score\": 4}", NULL, "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"in_progress\","
                 " \"feedback_score\": 4}", NULL, "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"resolved\","
                 " \"feedback_score\": 4}", NULL, NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\","
                 " \"feedback_score\": 1}", NULL, NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\","
                 " \"feedback_score\": 5}", NULL, NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\","
                 " \"feedback_score\": 0}", NULL, "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\","
                 " \"feedback_score\": 6}", NULL, "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\","
                 " \"feedback_score\": 4.5}", NULL, "/feedback_score" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\","
                 " \"feedback_score\": null}", NULL, NULL },
        /* the workflow only moves forward */
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\"}",
          "{\"status\": \"resolved\"}", "/status" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\"}",
          "{\"status\": \"in_progress\"}", "/status" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"resolved\"}",
          "{\"status\": \"closed\"}", "/status" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\"}", /* defaults to open */
          "{\"status\": \"in_progress\"}", "/status" },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\"}",
          "{\"status\": \"open\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"in_progress\"}",
          "{\"status\": \"open\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"resolved\"}",
          "{\"status\": \"in_progress\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\"}",
          "{\"status\": \"resolved\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\"}",
          "{\"status\": \"open\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"closed\"}",
          "{\"status\": \"closed\"}", NULL },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\"}",
          "{\"category\": \"room\"}", NULL }, /* stored without status: open */
        /* `before` does not matter to the other sections */
        { STAYS, "{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-02\", \"status\": \"reserved\"}",
          "{\"status\": \"completed\"}", NULL },
};

START_TEST(test_cross_cases)
{
        json_t *doc = parse(cross_cases[_i].json);
        json_t *before = cross_cases[_i].before ? parse(cross_cases[_i].before) : NULL;

        expect(cross_cases[_i].s, doc, before, cross_cases[_i].pointer, cross_cases[_i].json, NULL);
        json_decref(before);
        json_decref(doc);
}
END_TEST

/* A broken date is reported once, on its own member, not again by the order rule. */
START_TEST(test_stay_dates_reported_once)
{
        json_t *doc = parse("{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-32\"}");
        struct gd_error err;

        expect(STAYS, doc, NULL, "/check_out", "check_out 2026-05-32", &err);
        ck_assert_uint_eq(err.n_fields, 1);
        json_decref(doc);
}
END_TEST

START_TEST(test_stay_order_message)
{
        json_t *doc = parse("{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-01\"}");
        struct gd_error err;

        expect(STAYS, doc, NULL, "/check_out", "same-day stay", &err);
        ck_assert_uint_eq(err.n_fields, 1);
        ck_assert_ptr_nonnull(strstr(message_at(&err, "/check_out"), "check_in"));
        ck_assert_str_eq(err.detail, "The stay has 1 invalid field(s).");
        json_decref(doc);
}
END_TEST

START_TEST(test_dining_type_invalid_category)
{
        /* an unknown category is the error; dining_type is not blamed for it */
        json_t *doc = parse("{\"occurred_at\": \"2026-05-01T08:00:00Z\", \"category\": \"food\","
                            " \"dining_type\": \"breakfast\", \"amount\": 12, \"currency\": \"EUR\"}");
        struct gd_error err;

        expect(CONS, doc, NULL, "/category", "category food", &err);
        ck_assert_uint_eq(count_at(&err, "/dining_type"), 0);
        json_decref(doc);
}
END_TEST

START_TEST(test_status_backwards_message)
{
        json_t *doc = parse("{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"status\": \"open\"}");
        json_t *before = parse("{\"status\": \"resolved\"}");
        struct gd_error err;
        const char *msg;

        expect(COMPL, doc, before, "/status", "resolved -> open", &err);
        msg = message_at(&err, "/status");
        ck_assert_msg(strstr(msg, "resolved") && strstr(msg, "open"), "message \"%s\" does not name both", msg);
        ck_assert_str_eq(err.detail, "The complaint has 1 invalid field(s).");
        json_decref(before);
        json_decref(doc);
}
END_TEST

START_TEST(test_inferred_source_message)
{
        json_t *doc = base_with(PREFS, "source", json_string("inferred"));
        struct gd_error err;
        const char *msg;

        expect(PREFS, doc, NULL, "/source", "source inferred", &err);
        ck_assert_uint_eq(count_at(&err, "/source"), 1);
        ck_assert_uint_eq(err.n_fields, 1);
        msg = message_at(&err, "/source");
        ck_assert_msg(strstr(msg, "inferred preferences are made by guestd") != NULL, "message \"%s\"", msg);
        json_decref(doc);

        /* any other unknown source gets the list of values */
        doc = base_with(PREFS, "source", json_string("system"));
        expect(PREFS, doc, NULL, "/source", "source system", &err);
        ck_assert_ptr_nonnull(strstr(message_at(&err, "/source"), "staff"));
        json_decref(doc);
}
END_TEST

/* ---- messages for unknown and server-owned members, the detail line, the root ---- */

static const struct {
        enum gd_section s;
        const char *member;
} read_only_cases[] = {
        { STAYS, "id" },         { STAYS, "guest_id" },     { STAYS, "version" },    { STAYS, "created_at" },
        { STAYS, "updated_at" }, { STAYS, "nights" },       { STAYS, "month" },      { CONS, "id" },
        { CONS, "guest_id" },    { CONS, "version" },       { CONS, "created_at" },  { CONS, "updated_at" },
        { CONS, "per_person" },  { PREFS, "id" },           { PREFS, "guest_id" },   { PREFS, "version" },
        { PREFS, "created_at" }, { PREFS, "updated_at" },   { PREFS, "evidence" },   { DATES, "id" },
        { DATES, "guest_id" },   { DATES, "version" },      { DATES, "created_at" }, { DATES, "updated_at" },
        { COMPL, "id" },         { COMPL, "guest_id" },     { COMPL, "version" },    { COMPL, "created_at" },
        { COMPL, "updated_at" }, { COMPL, "resolved_at" },
};

START_TEST(test_read_only)
{
        json_t *doc = base_with(read_only_cases[_i].s, read_only_cases[_i].member, json_null());
        char ptr[64], what[128];
        struct gd_error err;
        json_t *patch;

        snprintf(ptr, sizeof(ptr), "/%s", read_only_cases[_i].member);
        snprintf(what, sizeof(what), "%s: %s", gd_section_path(read_only_cases[_i].s), ptr);
        expect(read_only_cases[_i].s, doc, NULL, ptr, what, &err);
        ck_assert_str_eq(message_at(&err, ptr), "is read-only");
        json_decref(doc);

        patch = json_pack("{s:n}", read_only_cases[_i].member);
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_section_check_patch(read_only_cases[_i].s, patch, &err), GD_ERR_INVALID);
        ck_assert_msg(message_at(&err, ptr) != NULL, "%s: patch not refused", what);
        ck_assert_str_eq(message_at(&err, ptr), "is read-only");
        json_decref(patch);
}
END_TEST

START_TEST(test_unknown_member)
{
        json_t *doc = base_with((enum gd_section)_i, "colour", json_string("blue"));
        struct gd_error err;

        expect((enum gd_section)_i, doc, NULL, "/colour", "unknown member", &err);
        ck_assert_str_eq(message_at(&err, "/colour"), "is not a known field");
        json_decref(doc);
}
END_TEST

static const char *const not_objects[] = { "[]", "[{}]", "\"stay\"", "42", "true", "null" };

START_TEST(test_root_not_object)
{
        json_t *doc = parse(not_objects[_i]);
        struct gd_error err;
        int s;

        for (s = 0; s < _GD_SECTION_MAX; s++) {
                expect((enum gd_section)s, doc, NULL, "", not_objects[_i], &err);
                ck_assert_str_eq(message_at(&err, ""), "must be a JSON object");
                memset(&err, 0, sizeof(err));
                ck_assert_int_eq(gd_section_check_patch((enum gd_section)s, doc, &err), GD_ERR_INVALID);
                ck_assert_ptr_nonnull(message_at(&err, ""));
        }
        json_decref(doc);
}
END_TEST

static const struct {
        enum gd_section s;
        const char *json;
        const char *detail;
} detail_cases[] = {
        { STAYS, "{\"check_in\": \"x\"}", "The stay has 2 invalid field(s)." },
        { CONS, "{}", "The consumption has 4 invalid field(s)." },
        { PREFS, "{\"category\": \"room\", \"key\": \"k\"}", "The preference has 1 invalid field(s)." },
        { DATES, "{\"kind\": \"x\", \"date\": \"x\", \"label\": \"\"}", "The special date has 3 invalid field(s)." },
        { COMPL, "{\"category\": \"room\", \"severity\": \"low\", \"description\": \"x\", \"feedback_score\": 3,"
                 " \"compensation_amount\": 1}", "The complaint has 2 invalid field(s)." },
};

START_TEST(test_detail)
{
        json_t *doc = parse(detail_cases[_i].json);
        struct gd_error err;
        char got[2048];

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_section_validate(detail_cases[_i].s, doc, NULL, &TODAY, &err), GD_ERR_INVALID);
        describe(&err, got, sizeof(got));
        ck_assert_msg(strcmp(err.detail, detail_cases[_i].detail) == 0, "detail \"%s\", fields [%s]", err.detail, got);
        json_decref(doc);
}
END_TEST

/* Field errors already in reterr are kept, and not counted in the detail. */
START_TEST(test_appends_to_reterr)
{
        json_t *doc = parse("{\"check_in\": \"x\", \"check_out\": \"2026-01-01\"}");
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        gd_error_add_field(&err, "/earlier", "was reported before");
        ck_assert_int_eq(gd_section_validate(STAYS, doc, NULL, &TODAY, &err), GD_ERR_INVALID);
        ck_assert_uint_eq(err.n_fields, 2);
        ck_assert_str_eq(err.fields[0].pointer, "/earlier");
        ck_assert_str_eq(err.detail, "The stay has 1 invalid field(s).");
        json_decref(doc);
}
END_TEST

/* Each way a body timestamp is refused says which rule it broke; `now` is read to the second. */
START_TEST(test_timestamp_messages)
{
        static const struct {
                const char *value;
                const char *message;
        } cases[] = {
                {"2026-06-15 12:00:00Z", "must be an RFC 3339 date-time such as \"2026-05-01T19:30:00Z\""},
                {"2026-06-15T12:00:00+16:00", "must have a UTC offset within -14:00 and +14:00"},
                {"2016-12-31T23:59:60Z", "must have seconds from 00 to 59"},
                {"1899-12-31T23:59:59Z", "must not be before 1900-01-01T00:00:00Z"},
                {"2026-06-16T12:00:01Z", "must not be more than one day in the future"},
                {"2026-06-16T12:00:00Z", NULL},
        };
        const time_t now = 1781524800; /* 2026-06-15T12:00:00Z */
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char body[200];
                snprintf(body, sizeof(body), "{\"occurred_at\": \"%s\", \"category\": \"bar\", \"amount\": 1,"
                         " \"currency\": \"EUR\"}", cases[i].value);
                json_t *doc = parse(body);
                struct gd_error err = {0};
                enum gd_err rc = gd_section_validate_at(CONS, doc, NULL, now, &err);
                if (!cases[i].message) {
                        ck_assert_msg(rc == GD_OK, "%s refused", cases[i].value);
                } else {
                        ck_assert_int_eq(rc, GD_ERR_INVALID);
                        ck_assert_str_eq(message_at(&err, "/occurred_at"), cases[i].message);
                }
                json_decref(doc);
        }
}
END_TEST

/* ---- length limits, in code points ---- */

static const struct {
        enum gd_section s;
        const char *member;
        const char *unit;
        size_t max;
} length_cases[] = {
        { STAYS, "room_number", "4", 20 },
        { STAYS, "external_ref", "\xc3\xa9", 100 },
        { CONS, "description", "d", 200 },
        { CONS, "description", "\xe6\xb1\x89", 200 },
        { PREFS, "key", "k", 50 },
        { PREFS, "key", "\xc3\xa9", 50 },
        { PREFS, "value", "v", 200 },
        { PREFS, "note", "n", 500 },
        { PREFS, "note", "\xc3\xa9", 500 },
        { DATES, "label", "l", 100 },
        { COMPL, "description", "d", 4000 },
        { COMPL, "description", "\xc3\xa9", 4000 },
        { COMPL, "resolution", "r", 4000 },
};

START_TEST(test_length_limits)
{
        char ptr[64], what[128];
        char *s;
        json_t *doc;

        snprintf(ptr, sizeof(ptr), "/%s", length_cases[_i].member);

        s = repeat(length_cases[_i].unit, length_cases[_i].max);
        doc = base_with(length_cases[_i].s, length_cases[_i].member, json_string(s));
        snprintf(what, sizeof(what), "%s%s with %zu code points", gd_section_path(length_cases[_i].s), ptr,
                 length_cases[_i].max);
        expect(length_cases[_i].s, doc, NULL, NULL, what, NULL);
        json_decref(doc);
        free(s);

        s = repeat(length_cases[_i].unit, length_cases[_i].max + 1);
        doc = base_with(length_cases[_i].s, length_cases[_i].member, json_string(s));
        snprintf(what, sizeof(what), "%s%s with %zu code points", gd_section_path(length_cases[_i].s), ptr,
                 length_cases[_i].max + 1);
        expect(length_cases[_i].s, doc, NULL, ptr, what, NULL);
        json_decref(doc);
        free(s);
}
END_TEST

START_TEST(test_amenity_limits)
{
        json_t *map = json_object();
        char name[128], *longest;
        json_t *doc;
        int i;

        /* 50 names are accepted, 51 are not */
        for (i = 0; i < 50; i++) {
                snprintf(name, sizeof(name), "amenity-%02d", i);
                json_object_set_new(map, name, json_integer(i));
        }
        doc = base_with(STAYS, "amenities_used", json_deep_copy(map));
        expect(STAYS, doc, NULL, NULL, "50 amenities", NULL);
        json_decref(doc);
        json_object_set_new(map, "one-more", json_integer(1));
        doc = base_with(STAYS, "amenities_used", map);
        expect(STAYS, doc, NULL, "/amenities_used", "51 amenities", NULL);
        json_decref(doc);

        /* names of 1..50 code points */
        longest = repeat("\xc3\xa9", 50);
        doc = base_with(STAYS, "amenities_used", json_pack("{s:i}", longest, 3));
        expect(STAYS, doc, NULL, NULL, "amenity name of 50 code points", NULL);
        json_decref(doc);
        free(longest);
        longest = repeat("x", 51);
        snprintf(name, sizeof(name), "/amenities_used/%s", longest);
        doc = base_with(STAYS, "amenities_used", json_pack("{s:i}", longest, 3));
        expect(STAYS, doc, NULL, name, "amenity name of 51 code points", NULL);
        json_decref(doc);
        free(longest);
}
END_TEST

/* ---- gd_section_check_patch ---- */

static const struct {
        enum gd_section s;
        const char *json;
} patch_ok[] = {
        { STAYS, "{}" },
        { STAYS, "{\"status\": \"completed\", \"room_type\": null}" },
        { STAYS, "{\"check_out\": \"not even a date\"}" }, /* values are checked after the merge */
        { CONS, "{\"amount\": \"1.00\", \"stay_id\": null}" },
        { PREFS, "{\"source\": \"inferred\"}" },
        { PREFS, "{\"category\": \"room\", \"key\": \"k\", \"value\": \"v\", \"source\": null, \"note\": null}" },
        { DATES, "{\"label\": null}" },
        { COMPL, "{\"status\": \"resolved\", \"feedback_score\": 5}" },
};

START_TEST(test_patch_accepts)
{
        json_t *patch = parse(patch_ok[_i].json);
        struct gd_error err;
        char got[2048];

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_section_check_patch(patch_ok[_i].s, patch, &err), GD_OK);
        describe(&err, got, sizeof(got));
        ck_assert_msg(err.n_fields == 0, "%s: [%s]", patch_ok[_i].json, got);
        json_decref(patch);
}
END_TEST

/* Every writable member may be named in a patch, even as null. */
START_TEST(test_patch_all_members)
{
        json_t *patch = json_object();
        const char *const *m;
        struct gd_error err;

        for (m = MEMBERS[_i]; *m; m++)
                json_object_set_new(patch, *m, json_null());
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_section_check_patch((enum gd_section)_i, patch, &err), GD_OK);
        json_decref(patch);
}
END_TEST

START_TEST(test_patch_reports_all)
{
        json_t *patch = parse("{\"status\": \"completed\", \"id\": \"x\", \"nights\": 3, \"foo\": 1}");
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_section_check_patch(STAYS, patch, &err), GD_ERR_INVALID);
        ck_assert_uint_eq(err.n_fields, 3);
        ck_assert_str_eq(message_at(&err, "/id"), "is read-only");
        ck_assert_str_eq(message_at(&err, "/nights"), "is read-only");
        ck_assert_str_eq(message_at(&err, "/foo"), "is not a known field");
        ck_assert_ptr_null(message_at(&err, "/status"));
        json_decref(patch);
}
END_TEST

/* ---- gd_section_effective_patch ---- */

START_TEST(test_effective_patch_inferred)
{
        json_t *before = parse("{\"category\": \"room\", \"key\": \"room_type\", \"value\": \"deluxe\","
                               " \"source\": \"inferred\"}");
        json_t *patch = parse("{\"value\": \"suite\"}");
        json_t *copy = json_deep_copy(patch);
        json_t *want = parse("{\"value\": \"suite\", \"source\": \"staff\"}");
        json_t *eff = gd_section_effective_patch(PREFS, before, patch);

        ck_assert_ptr_nonnull(eff);
        ck_assert_ptr_ne(eff, patch);
        ck_assert(json_equal(eff, want));
        ck_assert_msg(json_equal(patch, copy), "the patch was modified");
        json_decref(eff);

        /* an empty patch still takes the preference over */
        json_decref(patch);
        patch = parse("{}");
        eff = gd_section_effective_patch(PREFS, before, patch);
        ck_assert_str_eq(json_string_value(json_object_get(eff, "source")), "staff");
        ck_assert_uint_eq(json_object_size(patch), 0);
        json_decref(eff);

        json_decref(want);
        json_decref(copy);
        json_decref(patch);
        json_decref(before);
}
END_TEST

static const struct {
        enum gd_section s;
        const char *before; /* NULL: none */
        const char *patch;
} same_patch_cases[] = {
        { PREFS, "{\"source\": \"inferred\"}", "{\"source\": \"guest\"}" },
        { PREFS, "{\"source\": \"inferred\"}", "{\"source\": null, \"value\": \"x\"}" },
        { PREFS, "{\"source\": \"inferred\"}", "{\"source\": \"inferred\"}" }, /* refused later by validate */
        { PREFS, "{\"source\": \"staff\"}", "{\"value\": \"x\"}" },
        { PREFS, "{\"source\": \"guest\"}", "{\"value\": \"x\"}" },
        { PREFS, "{\"value\": \"x\"}", "{\"value\": \"y\"}" },
        { PREFS, NULL, "{\"value\": \"x\"}" },
        { PREFS, "{\"source\": \"inferred\"}", "[\"not\", \"an\", \"object\"]" },
        { STAYS, "{\"source\": \"inferred\"}", "{\"status\": \"completed\"}" },
        { COMPL, "{\"status\": \"open\"}", "{\"status\": \"closed\"}" },
};

START_TEST(test_effective_patch_same)
{
        json_t *before = same_patch_cases[_i].before ? parse(same_patch_cases[_i].before) : NULL;
        json_t *patch = parse(same_patch_cases[_i].patch);
        size_t refs = patch->refcount;
        json_t *eff = gd_section_effective_patch(same_patch_cases[_i].s, before, patch);

        ck_assert_ptr_eq(eff, patch);
        ck_assert_uint_eq(patch->refcount, refs + 1); /* a new reference */
        json_decref(eff);
        json_decref(patch);
        json_decref(before);
}
END_TEST

/* ---- gd_section_normalize ---- */

static const struct {
        enum gd_section s;
        const char *defaults; /* the members with a non-null default */
} default_cases[] = {
        { STAYS, "{\"status\": \"reserved\", \"adults\": 1, \"children\": 0, \"amenities_used\": {}}" },
        { CONS, "{\"covers\": 1, \"discount_rate\": \"0\", \"payment_status\": \"pending\"}" },
        { PREFS, "{\"source\": \"staff\"}" },
        { DATES, "{}" },
        { COMPL, "{\"status\": \"open\"}" },
};

START_TEST(test_normalize_defaults)
{
        enum gd_section s = default_cases[_i].s;
        json_t *doc = parse(BASE[s]);
        json_t *copy = json_deep_copy(doc);
        json_t *defaults = parse(default_cases[_i].defaults);
        json_t *n = gd_section_normalize(s, doc);
        const char *const *m;
        size_t count = 0;

        ck_assert_ptr_nonnull(n);
        ck_assert_ptr_ne(n, doc);
        ck_assert_msg(json_equal(doc, copy), "normalize modified its input");
        for (m = MEMBERS[s]; *m; m++, count++) {
                json_t *got = json_object_get(n, *m);
                json_t *want = json_object_get(doc, *m);
                char *text = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);

                if (!want)
                        want = json_object_get(defaults, *m);
                ck_assert_msg(got != NULL, "%s: member %s missing", gd_section_path(s), *m);
                if (want)
                        ck_assert_msg(json_equal(got, want), "%s: %s is %s", gd_section_path(s), *m, text);
                else
                        ck_assert_msg(json_is_null(got), "%s: %s should default to null, is %s", gd_section_path(s),
                                      *m, text);
                free(text);
        }
        ck_assert_uint_eq(json_object_size(n), count);
        /* the database stamps received_at: no default in the domain */
        if (s == COMPL)
                ck_assert(json_is_null(json_object_get(n, "received_at")));
        json_decref(n);
        json_decref(defaults);
        json_decref(copy);
        json_decref(doc);
}
END_TEST

/* Decimals are stored as text: never as a binary double. */
static const struct {
        enum gd_section s;
        const char *member;
        const char *in;
        const char *out;
} decimal_cases[] = {
        { STAYS, "rate_amount", "\"245.5\"", "245.5" },
        { STAYS, "rate_amount", "245.5", "245.5" },
        { STAYS, "rate_amount", "100", "100" },
        { STAYS, "rate_amount", "1e2", "100" },
        { STAYS, "rate_amount", "0.1", "0.1" },
        { STAYS, "rate_amount", "-0.0", "0" },
        { STAYS, "rate_amount", "123456789012.25", "123456789012.25" },
        { CONS, "amount", "\"245.5\"", "245.5" },
        { CONS, "amount", "19.99", "19.99" },
        { CONS, "discount_rate", "0.15", "0.15" },
        { CONS, "discount_rate", "1", "1" },
        { CONS, "discount_rate", "\"0.1234\"", "0.1234" },
        { CONS, "revenue", "7", "7" },
        { COMPL, "compensation_amount", "50.25", "50.25" },
};

START_TEST(test_normalize_decimals)
{
        json_t *doc = base_with(decimal_cases[_i].s, decimal_cases[_i].member, parse(decimal_cases[_i].in));
        json_t *n;
        const char *got;

        if (decimal_cases[_i].s == COMPL)
                json_object_set_new(doc, "compensation_currency", json_string("EUR"));
        expect(decimal_cases[_i].s, doc, NULL, NULL, decimal_cases[_i].in, NULL);
        n = gd_section_normalize(decimal_cases[_i].s, doc);
        ck_assert_ptr_nonnull(n);
        got = json_string_value(json_object_get(n, decimal_cases[_i].member));
        ck_assert_msg(got != NULL, "%s %s is not stored as a string", decimal_cases[_i].member, decimal_cases[_i].in);
        ck_assert_str_eq(got, decimal_cases[_i].out);
        json_decref(n);
        json_decref(doc);
}
END_TEST

/* A complete item comes back as it went in, but for decimals as text. */
START_TEST(test_normalize_full)
{
        json_t *doc = parse("{\"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-04\", \"status\": \"completed\","
                            " \"room_type\": \"deluxe\", \"room_number\": \"412\", \"booking_channel\": \"web\","
                            " \"purpose\": \"business\", \"adults\": 2, \"children\": 1, \"rate_amount\": \"245.5\","
                            " \"currency\": \"EUR\", \"amenities_used\": {\"spa\": 2, \"gym\": 0},"
                            " \"external_ref\": \"OPERA-77\"}");
        json_t *n;

        expect(STAYS, doc, NULL, NULL, "full stay", NULL);
        n = gd_section_normalize(STAYS, doc);
        ck_assert(json_equal(n, doc));
        json_decref(n);
        json_decref(doc);
}
END_TEST

/* ---- data-driven cases: $GD_TEST_DATA/{valid,invalid}/<section path>/ ---- */

#define MAX_DATA_CASES 512

static struct data_case valid_files[MAX_DATA_CASES];
static int n_valid_files;
static struct data_case invalid_files[MAX_DATA_CASES];
static int n_invalid_files;

START_TEST(test_data_case_count)
{
        int per_section[2][_GD_SECTION_MAX] = { { 0 } }, i, s;

        ck_assert_msg(getenv("GD_TEST_DATA") != NULL, "GD_TEST_DATA is not set (meson sets it to tests/data)");
        for (i = 0; i < n_valid_files; i++)
                per_section[0][valid_files[i].group]++;
        for (i = 0; i < n_invalid_files; i++)
                per_section[1][invalid_files[i].group]++;
        for (s = 0; s < _GD_SECTION_MAX; s++) {
                ck_assert_msg(per_section[0][s] >= 2, "only %d files in valid/%s", per_section[0][s],
                              gd_section_path((enum gd_section)s));
                ck_assert_msg(per_section[1][s] >= 3, "only %d files in invalid/%s", per_section[1][s],
                              gd_section_path((enum gd_section)s));
        }
}
END_TEST

START_TEST(test_data_valid)
{
        json_t *doc = load_case("valid", &valid_files[_i]);
        char what[300];

        snprintf(what, sizeof(what), "valid/%s/%s", valid_files[_i].dir, valid_files[_i].name);
        expect((enum gd_section)valid_files[_i].group, doc, NULL, NULL, what, NULL);
        json_decref(doc);
}
END_TEST

START_TEST(test_data_invalid)
{
        json_t *doc = load_case("invalid", &invalid_files[_i]);
        char pointer[256];
        char what[300];

        read_pointer(&invalid_files[_i], pointer, sizeof(pointer));
        snprintf(what, sizeof(what), "invalid/%s/%s", invalid_files[_i].dir, invalid_files[_i].name);
        expect((enum gd_section)invalid_files[_i].group, doc, NULL, pointer, what, NULL);
        json_decref(doc);
}
END_TEST

/* ---- suite ---- */

static Suite *section_suite(void)
{
        Suite *s = suite_create("section");
        const char *dirs[_GD_SECTION_MAX];
        TCase *tc;
        int i;

        for (i = 0; i < _GD_SECTION_MAX; i++)
                dirs[i] = gd_section_path((enum gd_section)i);
        n_valid_files = scan_cases("valid", dirs, _GD_SECTION_MAX, valid_files, MAX_DATA_CASES);
        n_invalid_files = scan_cases("invalid", dirs, _GD_SECTION_MAX, invalid_files, MAX_DATA_CASES);

        tc = tcase_create("names");
        tcase_add_loop_test(tc, test_names, 0, N(names));
        tcase_add_test(tc, test_names_out_of_range);
        tcase_add_test(tc, test_sensitive_categories);
        suite_add_tcase(s, tc);

        tc = tcase_create("validate");
        tcase_add_loop_test(tc, test_base_items_valid, 0, _GD_SECTION_MAX);
        tcase_add_loop_test(tc, test_member_cases, 0, N(member_cases));
        tcase_add_loop_test(tc, test_length_limits, 0, N(length_cases));
        tcase_add_test(tc, test_amenity_limits);
        tcase_add_loop_test(tc, test_read_only, 0, N(read_only_cases));
        tcase_add_loop_test(tc, test_unknown_member, 0, _GD_SECTION_MAX);
        tcase_add_loop_test(tc, test_root_not_object, 0, N(not_objects));
        tcase_add_loop_test(tc, test_detail, 0, N(detail_cases));
        tcase_add_test(tc, test_appends_to_reterr);
        tcase_add_test(tc, test_timestamp_messages);
        suite_add_tcase(s, tc);

        tc = tcase_create("cross");
        tcase_add_loop_test(tc, test_cross_cases, 0, N(cross_cases));
        tcase_add_test(tc, test_stay_dates_reported_once);
        tcase_add_test(tc, test_stay_order_message);
        tcase_add_test(tc, test_dining_type_invalid_category);
        tcase_add_test(tc, test_status_backwards_message);
        tcase_add_test(tc, test_inferred_source_message);
        suite_add_tcase(s, tc);

        tc = tcase_create("data");
        tcase_add_test(tc, test_data_case_count);
        tcase_add_loop_test(tc, test_data_valid, 0, n_valid_files);
        tcase_add_loop_test(tc, test_data_invalid, 0, n_invalid_files);
        suite_add_tcase(s, tc);

        tc = tcase_create("patch");
        tcase_add_loop_test(tc, test_patch_accepts, 0, N(patch_ok));
        tcase_add_loop_test(tc, test_patch_all_members, 0, _GD_SECTION_MAX);
        tcase_add_test(tc, test_patch_reports_all);
        tcase_add_test(tc, test_effective_patch_inferred);
        tcase_add_loop_test(tc, test_effective_patch_same, 0, N(same_patch_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("normalize");
        tcase_add_loop_test(tc, test_normalize_defaults, 0, N(default_cases));
        tcase_add_loop_test(tc, test_normalize_decimals, 0, N(decimal_cases));
        tcase_add_test(tc, test_normalize_full);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(section_suite()));
}
