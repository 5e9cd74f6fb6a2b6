/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/guest.h and role.h: guest rules, normalization, patch checks, masking, merge patch. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/date.h"
#include "guestd/error.h"
#include "guestd/guest.h"
#include "guestd/role.h"

#include "gd_check.h"

/* Every rule is checked against this fixed day, never the clock. */
static const struct gd_date TODAY = { 2026, 6, 15 };

/* A valid guest holding every writable member (17 of them). */
#define FULL_GUEST                                                                                              \
        "{\"family_name\": \"Dupont\", \"given_name\": \"Marie\", \"gender\": \"female\","                      \
        " \"birth_date\": \"1985-07-04\", \"nationality\": \"FR\", \"ethnicity\": \"Han\","                     \
        " \"native_place\": \"Lyon\","                                                                          \
        " \"address\": {\"line1\": \"12 rue de la Paix\", \"line2\": \"Apt 3\", \"city\": \"Paris\","           \
        "   \"region\": \"\\u00cele-de-France\", \"postal_code\": \"75002\", \"country\": \"FR\"},"            \
        " \"phone\": \"+33612345678\", \"email\": \"marie.dupont@example.com\", \"language\": \"fr-FR\","      \
        " \"id_document\": {\"type\": \"passport\", \"number\": \"19AB12345\", \"country\": \"FR\"},"          \
        " \"external_refs\": [{\"system\": \"opera\", \"id\": \"G-1001\"}, {\"system\": \"booking\", \"id\": \"998877\"}]," \
        " \"vip_code\": \"GOLD\", \"marketing_consent\": false, \"legal_hold\": false,"                         \
        " \"notes\": \"Prefers a quiet room.\\nAllergic to feathers.\"}"

static const char *const WRITABLE[] = {
        "family_name", "given_name", "gender",   "birth_date",    "nationality",       "ethnicity",
        "native_place", "address",   "phone",    "email",         "language",          "id_document",
        "external_refs", "vip_code", "marketing_consent", "legal_hold", "notes",
};

static const char *const SERVER_OWNED[] = { "id", "version", "created_at", "updated_at", "loyalty", "stats" };

/* ---- helpers ---- */

/* {"family_name": "Dupont", key: value}; steals value. */
static json_t *doc_with(const char *key, json_t *value)
{
        json_t *doc = json_pack("{s:s}", "family_name", "Dupont");

        ck_assert_ptr_nonnull(doc);
        ck_assert_int_eq(json_object_set_new(doc, key, value), 0);
        return doc;
}

static void expect_valid_on(const json_t *doc, const struct gd_date *today, const char *what)
{
        struct gd_error err;
        char got[2048];
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_guest_validate(doc, today, &err);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_OK, "%s: rejected (rc %d), pointers [%s], detail \"%s\"", what, rc, got, err.detail);
        ck_assert_msg(err.n_fields == 0, "%s: accepted but fields reported [%s]", what, got);
}

static void expect_valid(const json_t *doc, const char *what)
{
        expect_valid_on(doc, &TODAY, what);
}

static void expect_invalid(const json_t *doc, const char *pointer, const char *what)
{
        struct gd_error err;
        char got[2048];
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_guest_validate(doc, &TODAY, &err);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_ERR_INVALID, "%s: expected GD_ERR_INVALID, got %d", what, rc);
        ck_assert_msg(err.code == GD_ERR_INVALID, "%s: reterr->code is %d", what, err.code);
        ck_assert_msg(err.n_fields >= 1, "%s: no field error reported", what);
        ck_assert_msg(pointer_matches(&err, pointer), "%s: expected pointer \"%s\", reported [%s]", what, pointer,
                      got);
}

/* ---- gd_guest_validate: table of valid documents ---- */

static const char *const valid_docs[] = {
        "{\"family_name\": \"Dupont\"}",
        FULL_GUEST,
        "{\"family_name\": \"Dupont\", \"birth_date\": \"2026-06-15\"}", /* today */
        "{\"family_name\": \"Dupont\", \"birth_date\": \"1900-01-01\"}",
        "{\"family_name\": \"Dupont\", \"birth_date\": \"2000-02-29\"}",
        "{\"family_name\": \"Dupont\", \"gender\": \"female\"}",
        "{\"family_name\": \"Dupont\", \"gender\": \"male\"}",
        "{\"family_name\": \"Dupont\", \"gender\": \"other\"}",
        "{\"family_name\": \"Dupont\", \"gender\": \"unknown\"}",
        "{\"family_name\": \"D\"}",
        "{\"family_name\": \"Jos\\u00e9 Mar\\u00eda\", \"given_name\": \"\\u65e5\\u672c\"}",
        "{\"family_name\": \"Dupont\", \"nationality\": \"GB\"}",
        "{\"family_name\": \"Dupont\", \"phone\": \"+12345678\"}",
        "{\"family_name\": \"Dupont\", \"phone\": \"+123456789012345\"}",
        "{\"family_name\": \"Dupont\", \"email\": \"a@b.co\"}",
        "{\"family_name\": \"Dupont\", \"language\": \"zh-Hant-TW\"}",
        "{\"family_name\": \"Dupont\", \"language\": \"pt-BR\"}",
        "{\"family_name\": \"Dupont\", \"notes\": \"line one\\nline two\\ttabbed\\r\\n\"}",
        "{\"family_name\": \"Dupont\", \"address\": {\"city\": \"Lyon\"}}",
        "{\"family_name\": \"Dupont\", \"address\": {}}",
        "{\"family_name\": \"Dupont\", \"address\": {\"line1\": null, \"city\": \"Lyon\", \"country\": \"FR\"}}",
        "{\"family_name\": \"Dupont\", \"address\": null}",
        "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"national_id\", \"number\": \"X1\"}}",
        "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"driving_licence\", \"number\": \"X1\", \"country\": \"DE\"}}",
        "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"residence_permit\", \"number\": \"X1\"}}",
        "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"other\", \"number\": \"X1\"}}",
        "{\"family_name\": \"Dupont\", \"id_document\": null}",
        "{\"family_name\": \"Dupont\", \"external_refs\": []}",
        "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\", \"id\": \"1\"}, {\"system\": \"pms\", \"id\": \"2\"}, {\"system\": \"crm\", \"id\": \"1\"}]}",
        "{\"family_name\": \"Dupont\", \"vip_code\": \"V\"}",
        "{\"family_name\": \"Dupont\", \"marketing_consent\": true, \"legal_hold\": true}",
        "{\"family_name\": \"Dupont\", \"given_name\": null, \"gender\": null, \"birth_date\": null,"
        " \"nationality\": null, \"ethnicity\": null, \"native_place\": null, \"address\": null, \"phone\": null,"
        " \"email\": null, \"language\": null, \"id_document\": null, \"vip_code\": null, \"notes\": null}",
};

START_TEST(test_valid_docs)
{
        json_t *doc = parse(valid_docs[_i]);

        expect_valid(doc, valid_docs[_i]);
        json_decref(doc);
}
END_TEST

/* ---- gd_guest_validate: table of invalid documents and the pointer each must report ---- */

static const struct {
        const char *json;
        const char *pointer;
} invalid_docs[] = {
        /* family_name: required, string, 1..100, not blank, no control characters */
        { "{}", "/family_name" },
        { "{\"given_name\": \"Marie\"}", "/family_name" },
        { "{\"family_name\": \"\"}", "/family_name" },
        { "{\"family_name\": \"   \"}", "/family_name" },
        { "{\"family_name\": null}", "/family_name" },
        { "{\"family_name\": 42}", "/family_name" },
        { "{\"family_name\": true}", "/family_name" },
        { "{\"family_name\": [\"Dupont\"]}", "/family_name" },
        { "{\"family_name\": {\"v\": \"Dupont\"}}", "/family_name" },
        { "{\"family_name\": \"Du\\u0007pont\"}", "/family_name" },
        { "{\"family_name\": \"Dupont\\n\"}", "/family_name" },
        { "{\"family_name\": \"Du\\tpont\"}", "/family_name" },
        /* given_name */
        { "{\"family_name\": \"Dupont\", \"given_name\": 1}", "/given_name" },
        { "{\"family_name\": \"Dupont\", \"given_name\": false}", "/given_name" },
        { "{\"family_name\": \"Dupont\", \"given_name\": \"Ma\\u001brie\"}", "/given_name" },
        /* gender */
        { "{\"family_name\": \"Dupont\", \"gender\": \"f\"}", "/gender" },
        { "{\"family_name\": \"Dupont\", \"gender\": \"Female\"}", "/gender" },
        { "{\"family_name\": \"Dupont\", \"gender\": \"\"}", "/gender" },
        { "{\"family_name\": \"Dupont\", \"gender\": 1}", "/gender" },
        /* birth_date */
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"2026-06-16\"}", "/birth_date" }, /* tomorrow */
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"2030-01-01\"}", "/birth_date" },
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"1899-12-31\"}", "/birth_date" },
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"2023-02-29\"}", "/birth_date" },
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"15/06/1990\"}", "/birth_date" },
        { "{\"family_name\": \"Dupont\", \"birth_date\": \"1990-06-15T00:00:00Z\"}", "/birth_date" },
        { "{\"family_name\": \"Dupont\", \"birth_date\": 19900615}", "/birth_date" },
        /* nationality */
        { "{\"family_name\": \"Dupont\", \"nationality\": \"fr\"}", "/nationality" },
        { "{\"family_name\": \"Dupont\", \"nationality\": \"UK\"}", "/nationality" },
        { "{\"family_name\": \"Dupont\", \"nationality\": \"FRA\"}", "/nationality" },
        { "{\"family_name\": \"Dupont\", \"nationality\": [\"FR\"]}", "/nationality" },
        /* ethnicity, native_place, notes, vip_code types and bounds */
        { "{\"family_name\": \"Dupont\", \"ethnicity\": {}}", "/ethnicity" },
        { "{\"family_name\": \"Dupont\", \"native_place\": 3}", "/native_place" },
        { "{\"family_name\": \"Dupont\", \"notes\": []}", "/notes" },
        { "{\"family_name\": \"Dupont\", \"vip_code\": \"\"}", "/vip_code" },
        { "{\"family_name\": \"Dupont\", \"vip_code\": 7}", "/vip_code" },
        /* address */
        { "{\"family_name\": \"Dupont\", \"address\": \"Paris\"}", "/address" },
        { "{\"family_name\": \"Dupont\", \"address\": []}", "/address" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"country\": \"XX\"}}", "/address/country" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"country\": \"fr\"}}", "/address/country" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"city\": 5}}", "/address/city" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"line1\": true}}", "/address/line1" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"postal_code\": 75002}}", "/address/postal_code" },
        { "{\"family_name\": \"Dupont\", \"address\": {\"street\": \"x\"}}", "/address/street|/address" },
        /* phone */
        { "{\"family_name\": \"Dupont\", \"phone\": \"0612345678\"}", "/phone" },
        { "{\"family_name\": \"Dupont\", \"phone\": \"+33 6 12 34 56 78\"}", "/phone" },
        { "{\"family_name\": \"Dupont\", \"phone\": \"+1234567\"}", "/phone" },
        { "{\"family_name\": \"Dupont\", \"phone\": \"+1234567890123456\"}", "/phone" },
        { "{\"family_name\": \"Dupont\", \"phone\": \"+0612345678\"}", "/phone" },
        { "{\"family_name\": \"Dupont\", \"phone\": 33612345678}", "/phone" },
        /* email */
        { "{\"family_name\": \"Dupont\", \"email\": \"no-at\"}", "/email" },
        { "{\"family_name\": \"Dupont\", \"email\": \"a@b\"}", "/email" },
        { "{\"family_name\": \"Dupont\", \"email\": \"a b@c.de\"}", "/email" },
        { "{\"family_name\": \"Dupont\", \"email\": 5}", "/email" },
        /* language */
        { "{\"family_name\": \"Dupont\", \"language\": \"en_US\"}", "/language" },
        { "{\"family_name\": \"Dupont\", \"language\": \"e\"}", "/language" },
        { "{\"family_name\": \"Dupont\", \"language\": \"\"}", "/language" },
        { "{\"family_name\": \"Dupont\", \"language\": 1}", "/language" },
        /* id_document */
        { "{\"family_name\": \"Dupont\", \"id_document\": \"P123\"}", "/id_document" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"number\": \"X\"}}", "/id_document/type" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"visa\", \"number\": \"X\"}}", "/id_document/type" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": 1, \"number\": \"X\"}}", "/id_document/type" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"passport\"}}", "/id_document/number" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"passport\", \"number\": \"\"}}", "/id_document/number" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"passport\", \"number\": 5}}", "/id_document/number" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"passport\", \"number\": \"X\", \"country\": \"XX\"}}",
          "/id_document/country" },
        { "{\"family_name\": \"Dupont\", \"id_document\": {\"type\": \"passport\", \"number\": \"X\", \"expiry\": \"2030-01-01\"}}",
          "/id_document/expiry|/id_document" },
        /* external_refs */
        { "{\"family_name\": \"Dupont\", \"external_refs\": {}}", "/external_refs" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": \"pms:1\"}", "/external_refs" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [1]}", "/external_refs/0" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\"}]}", "/external_refs/0/id" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"id\": \"1\"}]}", "/external_refs/0/system" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": 5, \"id\": \"1\"}]}", "/external_refs/0/system" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\", \"id\": \"1\"}, {\"system\": \"\", \"id\": \"2\"}]}",
          "/external_refs/1/system" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\", \"id\": \"\"}]}", "/external_refs/0/id" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\", \"id\": \"1\", \"extra\": 1}]}",
          "/external_refs/0/extra|/external_refs/0" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": [{\"system\": \"pms\", \"id\": \"1\"}, {\"system\": \"pms\", \"id\": \"1\"}]}",
          "/external_refs/1|/external_refs" },
        /* booleans */
        { "{\"family_name\": \"Dupont\", \"marketing_consent\": \"yes\"}", "/marketing_consent" },
        { "{\"family_name\": \"Dupont\", \"marketing_consent\": 1}", "/marketing_consent" },
        { "{\"family_name\": \"Dupont\", \"legal_hold\": \"false\"}", "/legal_hold" },
        { "{\"family_name\": \"Dupont\", \"legal_hold\": 0}", "/legal_hold" },
        /* a boolean or a list has no null (DESIGN §14): a create must not read it as the default */
        { "{\"family_name\": \"Dupont\", \"marketing_consent\": null}", "/marketing_consent" },
        { "{\"family_name\": \"Dupont\", \"legal_hold\": null}", "/legal_hold" },
        { "{\"family_name\": \"Dupont\", \"external_refs\": null}", "/external_refs" },
        /* unknown and server-owned members */
        { "{\"family_name\": \"Dupont\", \"foo\": 1}", "/foo" },
        { "{\"family_name\": \"Dupont\", \"Family_Name\": \"x\"}", "/Family_Name" },
        { "{\"family_name\": \"Dupont\", \"birthday\": \"07-04\"}", "/birthday" },
        { "{\"family_name\": \"Dupont\", \"a/b\": 1}", "/a~1b" },  /* RFC 6901 escaping */
        { "{\"family_name\": \"Dupont\", \"m~n\": 1}", "/m~0n" },
        { "{\"family_name\": \"Dupont\", \"id\": \"f47ac10b-58cc-4372-a567-0e02b2c3d479\"}", "/id" },
        { "{\"family_name\": \"Dupont\", \"version\": 1}", "/version" },
        { "{\"family_name\": \"Dupont\", \"created_at\": \"2026-01-01T00:00:00.000000Z\"}", "/created_at" },
        { "{\"family_name\": \"Dupont\", \"updated_at\": \"2026-01-01T00:00:00.000000Z\"}", "/updated_at" },
        { "{\"family_name\": \"Dupont\", \"loyalty\": {\"score\": 99}}", "/loyalty" },
        { "{\"family_name\": \"Dupont\", \"stats\": {}}", "/stats" },
        /* not an object: the root pointer */
        { "[]", "" },
        { "[{\"family_name\": \"Dupont\"}]", "" },
        { "\"Dupont\"", "" },
        { "42", "" },
        { "null", "" },
};

START_TEST(test_invalid_docs)
{
        json_t *doc = parse(invalid_docs[_i].json);

        expect_invalid(doc, invalid_docs[_i].pointer, invalid_docs[_i].json);
        json_decref(doc);
}
END_TEST

/* The birth-date rule uses the `today` argument, not the clock. */
START_TEST(test_birth_date_uses_today)
{
        json_t *doc = parse("{\"family_name\": \"Dupont\", \"birth_date\": \"2040-01-01\"}");
        struct gd_date later = { 2040, 1, 1 }, before = { 2039, 12, 31 };
        struct gd_error err;

        expect_valid_on(doc, &later, "birth_date 2040-01-01 with today 2040-01-01");
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_guest_validate(doc, &before, &err), GD_ERR_INVALID);
        ck_assert(has_pointer(&err, "/birth_date"));
        json_decref(doc);
}
END_TEST

/* ---- length limits, counted in code points ---- */

static const struct {
        const char *path; /* "member" or "member/sub" */
        const char *unit; /* repeated to build the value */
        size_t max;       /* longest accepted length, in units (one code point each) */
        const char *extra; /* JSON members added next to a nested value, to keep the object otherwise valid */
} length_cases[] = {
        { "family_name", "\xc3\xa9", 100, NULL }, /* é: two bytes, one code point */
        { "family_name", "a", 100, NULL },
        { "given_name", "\xc3\xa9", 100, NULL },
        { "given_name", "b", 100, NULL },
        { "ethnicity", "\xe6\xb1\x89", 100, NULL }, /* 汉: three bytes */
        { "native_place", "\xc3\xa9", 200, NULL },
        { "notes", "\xc3\xa9", 2000, NULL },
        { "notes", "n", 2000, NULL },
        { "vip_code", "V", 50, NULL },
        { "address/postal_code", "7", 20, NULL },
        { "address/line1", "\xc3\xa9", 200, NULL },
        { "address/city", "c", 200, NULL },
        { "id_document/number", "9", 50, "{\"type\": \"passport\"}" },
        { "external_refs/0/system", "s", 50, "{\"id\": \"1\"}" },
        { "external_refs/0/id", "\xc3\xa9", 100, "{\"system\": \"pms\"}" },
};

/* Builds a document whose `path` holds `value` (a new string), starting from {"family_name": "Dupont"}. */
static json_t *doc_with_path(const char *path, const char *value, const char *extra)
{
        const char *slash = strchr(path, '/');
        json_t *doc, *inner;
        char top[64];

        if (!slash) {
                if (strcmp(path, "family_name") == 0)
                        return json_pack("{s:s}", "family_name", value);
                return doc_with(path, json_string(value));
        }
        snprintf(top, sizeof(top), "%.*s", (int)(slash - path), path);
        inner = extra ? parse(extra) : json_object();
        if (strcmp(top, "external_refs") == 0) {
                /* "external_refs/0/<member>" */
                ck_assert_int_eq(json_object_set_new(inner, strrchr(path, '/') + 1, json_string(value)), 0);
                doc = doc_with(top, json_pack("[o]", inner));
        } else {
                ck_assert_int_eq(json_object_set_new(inner, slash + 1, json_string(value)), 0);
                doc = doc_with(top, inner);
        }
        return doc;
}

START_TEST(test_length_limits)
{
        char pointer[96];
        char what[160];
        char *s;
        json_t *doc;

        snprintf(pointer, sizeof(pointer), "/%s", length_cases[_i].path);

        s = repeat(length_cases[_i].unit, length_cases[_i].max);
        doc = doc_with_path(length_cases[_i].path, s, length_cases[_i].extra);
        snprintf(what, sizeof(what), "%s with %zu code points", pointer, length_cases[_i].max);
        expect_valid(doc, what);
        json_decref(doc);
        free(s);

        s = repeat(length_cases[_i].unit, length_cases[_i].max + 1);
        doc = doc_with_path(length_cases[_i].path, s, length_cases[_i].extra);
        snprintf(what, sizeof(what), "%s with %zu code points", pointer, length_cases[_i].max + 1);
        expect_invalid(doc, pointer, what);
        json_decref(doc);
        free(s);
}
END_TEST

START_TEST(test_external_refs_count)
{
        json_t *refs = json_array();
        json_t *doc;
        char id[16];
        int i;

        for (i = 0; i < 20; i++) {
                snprintf(id, sizeof(id), "R%d", i);
                json_array_append_new(refs, json_pack("{s:s, s:s}", "system", "pms", "id", id));
        }
        doc = doc_with("external_refs", json_deep_copy(refs));
        expect_valid(doc, "20 external_refs");
        json_decref(doc);

        json_array_append_new(refs, json_pack("{s:s, s:s}", "system", "pms", "id", "R20"));
        doc = doc_with("external_refs", refs);
        expect_invalid(doc, "/external_refs", "21 external_refs");
        json_decref(doc);
}
END_TEST

/* Server-owned members are refused even when their value looks right. */
START_TEST(test_server_owned_rejected)
{
        json_t *doc = parse(FULL_GUEST);
        char ptr[64];

        ck_assert_int_eq(json_object_set_new(doc, SERVER_OWNED[_i], json_null()), 0);
        snprintf(ptr, sizeof(ptr), "/%s", SERVER_OWNED[_i]);
        expect_invalid(doc, ptr, ptr);
        json_decref(doc);
}
END_TEST

START_TEST(test_several_errors_reported)
{
        static const char *const want[] = {
                "/family_name", "/gender", "/phone", "/email", "/foo", "/address/country", "/id", "/birth_date",
        };
        json_t *doc = parse("{\"family_name\": \"\", \"gender\": \"x\", \"phone\": \"1\", \"email\": \"bad\","
                            " \"foo\": 1, \"address\": {\"country\": \"XX\"}, \"id\": \"x\","
                            " \"birth_date\": \"2099-01-01\", \"given_name\": \"Marie\"}");
        struct gd_error err;
        char got[2048];
        size_t i;

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_guest_validate(doc, &TODAY, &err), GD_ERR_INVALID);
        ck_assert_int_eq(err.code, GD_ERR_INVALID);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(err.n_fields >= (size_t)N(want), "only %zu fields reported: [%s]", err.n_fields, got);
        for (i = 0; i < (size_t)N(want); i++)
                ck_assert_msg(has_pointer(&err, want[i]), "pointer %s missing from [%s]", want[i], got);
        ck_assert_msg(!has_pointer(&err, "/given_name"), "valid given_name reported: [%s]", got);
        json_decref(doc);
}
END_TEST

START_TEST(test_validate_does_not_modify)
{
        json_t *doc = parse("{\"family_name\": \"Dupont\", \"phone\": \"bad\", \"foo\": 1}");
        json_t *copy = json_deep_copy(doc);
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_guest_validate(doc, &TODAY, &err), GD_ERR_INVALID);
        ck_assert(json_equal(doc, copy));
        json_decref(copy);
        json_decref(doc);
}
END_TEST

/* ---- data-driven cases: $GD_TEST_DATA/{valid,invalid}/guest/ ---- */

#define MAX_DATA_CASES 256

static const char *const DATA_DIRS[] = { "guest" };
static struct data_case valid_files[MAX_DATA_CASES];
static int n_valid_files;
static struct data_case invalid_files[MAX_DATA_CASES];
static int n_invalid_files;

START_TEST(test_data_case_count)
{
        ck_assert_msg(getenv("GD_TEST_DATA") != NULL, "GD_TEST_DATA is not set (meson sets it to tests/data)");
        ck_assert_msg(n_valid_files >= 6, "only %d files in $GD_TEST_DATA/valid/guest", n_valid_files);
        ck_assert_msg(n_invalid_files >= 15, "only %d files in $GD_TEST_DATA/invalid/guest", n_invalid_files);
}
END_TEST

START_TEST(test_data_valid)
{
        json_t *doc = load_case("valid", &valid_files[_i]);
        char what[300];

        snprintf(what, sizeof(what), "valid/guest/%s", valid_files[_i].name);
        expect_valid(doc, what);
        json_decref(doc);
}
END_TEST

START_TEST(test_data_invalid)
{
        json_t *doc = load_case("invalid", &invalid_files[_i]);
        char pointer[256];
        char what[300];

        read_pointer(&invalid_files[_i], pointer, sizeof(pointer));
        snprintf(what, sizeof(what), "invalid/guest/%s", invalid_files[_i].name);
        expect_invalid(doc, pointer, what);
        json_decref(doc);
}
END_TEST

/* ---- gd_guest_normalize ---- */

START_TEST(test_normalize_defaults)
{
        json_t *doc = parse("{\"family_name\": \"Dupont\"}");
        json_t *copy = json_deep_copy(doc);
        json_t *n = gd_guest_normalize(doc);
        json_t *refs;
        int i;

        ck_assert_ptr_nonnull(n);
        ck_assert_ptr_ne(n, doc);
        ck_assert(json_is_object(n));
        ck_assert(json_equal(doc, copy));
        ck_assert_uint_eq(json_object_size(n), (size_t)N(WRITABLE));
        for (i = 0; i < N(WRITABLE); i++)
                ck_assert_msg(json_object_get(n, WRITABLE[i]) != NULL, "member %s missing", WRITABLE[i]);
        ck_assert_str_eq(json_string_value(json_object_get(n, "family_name")), "Dupont");
        for (i = 0; i < N(WRITABLE); i++) {
                const char *k = WRITABLE[i];
                if (strcmp(k, "family_name") == 0 || strcmp(k, "external_refs") == 0 ||
                    strcmp(k, "marketing_consent") == 0 || strcmp(k, "legal_hold") == 0)
                        continue;
                ck_assert_msg(json_is_null(json_object_get(n, k)), "%s should default to null", k);
        }
        refs = json_object_get(n, "external_refs");
        ck_assert(json_is_array(refs));
        ck_assert_uint_eq(json_array_size(refs), 0);
        ck_assert(json_is_false(json_object_get(n, "marketing_consent")));
        ck_assert(json_is_false(json_object_get(n, "legal_hold")));
        json_decref(n);
        json_decref(copy);
        json_decref(doc);
}
END_TEST

START_TEST(test_normalize_full)
{
        json_t *doc = parse(FULL_GUEST);
        json_t *n = gd_guest_normalize(doc);

        ck_assert_ptr_nonnull(n);
        ck_assert_ptr_ne(n, doc);
        ck_assert_msg(json_equal(n, doc), "normalize changed a complete document");
        json_decref(n);
        json_decref(doc);
}
END_TEST

START_TEST(test_normalize_keeps_given)
{
        json_t *doc = parse("{\"family_name\": \"Dupont\", \"marketing_consent\": true, \"address\": {\"city\": \"Lyon\"},"
                            " \"external_refs\": [{\"system\": \"pms\", \"id\": \"7\"}], \"phone\": \"+33612345678\"}");
        json_t *n = gd_guest_normalize(doc);

        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(json_object_size(n), (size_t)N(WRITABLE));
        ck_assert(json_is_true(json_object_get(n, "marketing_consent")));
        ck_assert(json_is_false(json_object_get(n, "legal_hold")));
        ck_assert(json_equal(json_object_get(n, "address"), json_object_get(doc, "address")));
        ck_assert(json_equal(json_object_get(n, "external_refs"), json_object_get(doc, "external_refs")));
        ck_assert_str_eq(json_string_value(json_object_get(n, "phone")), "+33612345678");
        ck_assert(json_is_null(json_object_get(n, "email")));
        json_decref(n);
        json_decref(doc);
}
END_TEST

/* ---- gd_guest_check_patch ---- */

static const char *const patch_ok[] = {
        "{}",
        "{\"given_name\": null}",
        "{\"family_name\": \"Martin\"}",
        "{\"address\": {\"city\": \"Lyon\"}}",
        "{\"address\": null, \"phone\": null, \"email\": null}",
        "{\"given_name\": null, \"gender\": null, \"birth_date\": null, \"nationality\": null, \"ethnicity\": null,"
        " \"native_place\": null, \"address\": null, \"phone\": null, \"email\": null, \"language\": null,"
        " \"id_document\": null, \"external_refs\": null, \"vip_code\": null, \"marketing_consent\": null,"
        " \"legal_hold\": null, \"notes\": null}",
        "{\"marketing_consent\": true, \"external_refs\": [{\"system\": \"pms\", \"id\": \"1\"}]}",
};

START_TEST(test_patch_accepts)
{
        json_t *patch = parse(patch_ok[_i]);
        struct gd_error err;
        char got[2048];
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_guest_check_patch(patch, &err);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_OK, "patch %s rejected: [%s]", patch_ok[_i], got);
        json_decref(patch);
}
END_TEST

static const struct {
        const char *json;
        const char *pointer;
} patch_bad[] = {
        { "[]", "" },
        { "[{\"given_name\": \"x\"}]", "" },
        { "\"x\"", "" },
        { "1", "" },
        { "true", "" },
        { "null", "" },
        { "{\"id\": \"f47ac10b-58cc-4372-a567-0e02b2c3d479\"}", "/id" },
        { "{\"version\": 3}", "/version" },
        { "{\"created_at\": null}", "/created_at" },
        { "{\"updated_at\": \"2026-01-01T00:00:00.000000Z\"}", "/updated_at" },
        { "{\"loyalty\": null}", "/loyalty" },
        { "{\"stats\": {}}", "/stats" },
        { "{\"foo\": 1}", "/foo" },
        { "{\"given_name\": \"Marie\", \"bar\": null}", "/bar" },
        { "{\"birthday\": \"07-04\"}", "/birthday" },
};

START_TEST(test_patch_rejects)
{
        json_t *patch = parse(patch_bad[_i].json);
        struct gd_error err;
        char got[2048];
        enum gd_err rc;

        memset(&err, 0, sizeof(err));
        rc = gd_guest_check_patch(patch, &err);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_ERR_INVALID, "patch %s: expected GD_ERR_INVALID, got %d", patch_bad[_i].json, rc);
        ck_assert_int_eq(err.code, GD_ERR_INVALID);
        ck_assert_msg(has_pointer(&err, patch_bad[_i].pointer), "patch %s: expected pointer \"%s\", reported [%s]",
                      patch_bad[_i].json, patch_bad[_i].pointer, got);
        json_decref(patch);
}
END_TEST

START_TEST(test_patch_reports_all)
{
        json_t *patch = parse("{\"given_name\": \"A\", \"id\": \"x\", \"foo\": 1, \"stats\": null}");
        struct gd_error err;
        char got[2048];

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_guest_check_patch(patch, &err), GD_ERR_INVALID);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(has_pointer(&err, "/id") && has_pointer(&err, "/foo") && has_pointer(&err, "/stats"),
                      "reported [%s]", got);
        ck_assert_msg(!has_pointer(&err, "/given_name"), "reported [%s]", got);
        json_decref(patch);
}
END_TEST

/* ---- gd_guest_mask ---- */

/* A full representation as the db layer returns it. */
static json_t *representation(bool consent)
{
        json_t *g = parse(FULL_GUEST);

        json_object_set_new(g, "id", json_string("f47ac10b-58cc-4372-a567-0e02b2c3d479"));
        json_object_set_new(g, "version", json_integer(3));
        json_object_set_new(g, "created_at", json_string("2026-01-02T03:04:05.123456Z"));
        json_object_set_new(g, "updated_at", json_string("2026-02-03T04:05:06.654321Z"));
        json_object_set_new(g, "marketing_consent", json_boolean(consent));
        return g;
}

/* Members marketing sees exactly as stored. */
static const char *const MARKETING_KEPT[] = {
        "id", "version", "family_name", "given_name", "gender", "nationality", "native_place", "language",
        "external_refs", "vip_code", "marketing_consent", "legal_hold", "created_at", "updated_at",
};

static const char *const MARKETING_DROPPED[] = { "ethnicity", "id_document", "notes", "birth_date" };

START_TEST(test_mask_marketing_no_consent)
{
        json_t *g = representation(false);
        json_t *orig = json_deep_copy(g);
        json_t *addr, *want_addr;
        int i;

        gd_guest_mask(g, GD_ROLE_MARKETING);
        for (i = 0; i < N(MARKETING_DROPPED); i++)
                ck_assert_msg(json_object_get(g, MARKETING_DROPPED[i]) == NULL, "%s visible to marketing",
                              MARKETING_DROPPED[i]);
        ck_assert_msg(json_object_get(g, "phone") == NULL, "phone visible without consent");
        ck_assert_msg(json_object_get(g, "email") == NULL, "email visible without consent");
        ck_assert_str_eq(json_string_value(json_object_get(g, "birthday")), "07-04");

        addr = json_object_get(g, "address");
        want_addr = json_pack("{s:s, s:s}", "city", "Paris", "country", "FR");
        ck_assert_msg(json_equal(addr, want_addr), "address not reduced to city and country");
        json_decref(want_addr);

        for (i = 0; i < N(MARKETING_KEPT); i++)
                ck_assert_msg(json_equal(json_object_get(g, MARKETING_KEPT[i]), json_object_get(orig, MARKETING_KEPT[i])),
                              "%s changed by the marketing mask", MARKETING_KEPT[i]);
        /* nothing else appears: kept + birthday + address */
        ck_assert_uint_eq(json_object_size(g), (size_t)N(MARKETING_KEPT) + 2);
        json_decref(orig);
        json_decref(g);
}
END_TEST

START_TEST(test_mask_marketing_consent)
{
        json_t *g = representation(true);
        int i;

        gd_guest_mask(g, GD_ROLE_MARKETING);
        ck_assert_str_eq(json_string_value(json_object_get(g, "phone")), "+33612345678");
        ck_assert_str_eq(json_string_value(json_object_get(g, "email")), "marie.dupont@example.com");
        for (i = 0; i < N(MARKETING_DROPPED); i++)
                ck_assert_msg(json_object_get(g, MARKETING_DROPPED[i]) == NULL, "%s visible to marketing",
                              MARKETING_DROPPED[i]);
        ck_assert_str_eq(json_string_value(json_object_get(g, "birthday")), "07-04");
        ck_assert_uint_eq(json_object_size(g), (size_t)N(MARKETING_KEPT) + 4);
        json_decref(g);
}
END_TEST

START_TEST(test_mask_marketing_nulls)
{
        json_t *g = representation(true);
        json_t *v;

        json_object_set_new(g, "birth_date", json_null());
        json_object_set_new(g, "address", json_null());
        json_object_set_new(g, "phone", json_null());
        gd_guest_mask(g, GD_ROLE_MARKETING);
        v = json_object_get(g, "birthday");
        ck_assert_msg(v != NULL && json_is_null(v), "birthday should be null when birth_date is null");
        v = json_object_get(g, "address");
        ck_assert_msg(v != NULL && json_is_null(v), "address should stay null");
        ck_assert_ptr_null(json_object_get(g, "birth_date"));
        json_decref(g);
}
END_TEST

START_TEST(test_mask_marketing_partial_address)
{
        json_t *g = representation(false);
        json_t *addr;
        const char *key;
        json_t *value;

        json_object_set_new(g, "birth_date", json_string("2000-02-29"));
        json_object_set_new(g, "address", json_pack("{s:s, s:s}", "line1", "1 Main St", "country", "US"));
        gd_guest_mask(g, GD_ROLE_MARKETING);
        ck_assert_str_eq(json_string_value(json_object_get(g, "birthday")), "02-29");
        addr = json_object_get(g, "address");
        ck_assert(json_is_object(addr));
        json_object_foreach(addr, key, value)
        {
                (void)value;
                ck_assert_msg(strcmp(key, "city") == 0 || strcmp(key, "country") == 0, "address keeps \"%s\"", key);
        }
        ck_assert_str_eq(json_string_value(json_object_get(addr, "country")), "US");
        json_decref(g);
}
END_TEST

static const enum gd_role full_view_roles[] = { GD_ROLE_FRONTDESK, GD_ROLE_OPS, GD_ROLE_ADMIN };

START_TEST(test_mask_full_view)
{
        int consent;

        for (consent = 0; consent <= 1; consent++) {
                json_t *g = representation(consent != 0);
                json_t *copy = json_deep_copy(g);

                gd_guest_mask(g, full_view_roles[_i]);
                ck_assert_msg(json_equal(g, copy), "role %s changed the representation (consent %d)",
                              gd_role_to_string(full_view_roles[_i]), consent);
                json_decref(copy);
                json_decref(g);
        }
}
END_TEST

/* ---- gd_guest_contact_visible, gd_guest_birthday: the marketing rules for column callers ---- */

START_TEST(test_contact_visible_marketing)
{
        ck_assert(gd_guest_contact_visible(GD_ROLE_MARKETING, true));
        ck_assert(!gd_guest_contact_visible(GD_ROLE_MARKETING, false));
}
END_TEST

START_TEST(test_contact_visible_full_view)
{
        ck_assert_msg(gd_guest_contact_visible(full_view_roles[_i], true), "role %s, consent",
                      gd_role_to_string(full_view_roles[_i]));
        ck_assert_msg(gd_guest_contact_visible(full_view_roles[_i], false), "role %s, no consent",
                      gd_role_to_string(full_view_roles[_i]));
}
END_TEST

static const struct {
        const char *birth_date, *birthday;
} birthday_ok[] = {
        { "1985-07-04", "07-04" },
        { "2000-02-29", "02-29" }, /* leap year divisible by 400 */
        { "2024-02-29", "02-29" },
        { "1900-02-28", "02-28" },
        { "1970-01-01", "01-01" },
        { "1999-12-31", "12-31" },
        { "2001-10-09", "10-09" },
        { "0001-11-30", "11-30" },
};

START_TEST(test_birthday_valid)
{
        char out[8];

        memset(out, 'X', sizeof(out));
        ck_assert_msg(gd_guest_birthday(birthday_ok[_i].birth_date, out), "%s refused", birthday_ok[_i].birth_date);
        ck_assert_str_eq(out, birthday_ok[_i].birthday);
        ck_assert_int_eq(out[6], 'X'); /* nothing written past the 6 bytes */
        ck_assert_int_eq(out[7], 'X');
}
END_TEST

static const char *const birthday_bad[] = {
        "",           "abc",         "2020-13-01", "2020-00-10", "2020-01-00", "2020-01-32", "2021-02-29",
        "1900-02-29", "2020-04-31",  "1990-7-4",   "07-04",      "1990/07/04", "19900704",   "1990-07-04 ",
        " 1990-07-04", "1990-07-04T00:00:00Z", "1990-07-04x", "199O-07-04", "+990-07-04", "0000-01-01",
};

START_TEST(test_birthday_invalid)
{
        char out[6] = "keep";

        ck_assert_msg(!gd_guest_birthday(birthday_bad[_i], out), "\"%s\" accepted as a birth date (%s)",
                      birthday_bad[_i], out);
}
END_TEST

START_TEST(test_birthday_agrees_with_mask)
{
        /* gd_guest_mask shows the same birthday the function writes */
        json_t *g = representation(true);
        char out[6];

        json_object_set_new(g, "birth_date", json_string("1992-03-15"));
        gd_guest_mask(g, GD_ROLE_MARKETING);
        ck_assert(gd_guest_birthday("1992-03-15", out));
        ck_assert_str_eq(out, "03-15");
        ck_assert_str_eq(json_string_value(json_object_get(g, "birthday")), out);
        json_decref(g);
}
END_TEST

/* ---- gd_json_merge_patch: RFC 7396 §3 and appendix A ---- */

static const struct {
        const char *target, *patch, *result;
} merge_cases[] = {
        { "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
        { "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
        { "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
        { "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
        { "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
        { "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
        { "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
        { "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
        { "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
        { "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
        { "{\"a\":\"foo\"}", "null", "null" },
        { "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
        { "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
        { "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
        { "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
        /* §3 */
        { "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
          "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
          "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":null},"
          "\"tags\":[\"example\"]}",
          "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
          "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}" },
        /* guest-shaped: an empty patch is a no-op */
        { FULL_GUEST, "{}", FULL_GUEST },
};

START_TEST(test_merge_patch)
{
        json_t *target = parse(merge_cases[_i].target);
        json_t *patch = parse(merge_cases[_i].patch);
        json_t *want = parse(merge_cases[_i].result);
        json_t *target_copy = json_deep_copy(target);
        json_t *patch_copy = json_deep_copy(patch);
        json_t *got = gd_json_merge_patch(target, patch);
        char *s;

        ck_assert_ptr_nonnull(got);
        s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        ck_assert_msg(json_equal(got, want), "merge %s + %s: expected %s, got %s", merge_cases[_i].target,
                      merge_cases[_i].patch, merge_cases[_i].result, s ? s : "?");
        free(s);
        ck_assert_msg(json_equal(target, target_copy), "merge modified the target");
        ck_assert_msg(json_equal(patch, patch_copy), "merge modified the patch");
        json_decref(got);
        json_decref(patch_copy);
        json_decref(target_copy);
        json_decref(want);
        json_decref(patch);
        json_decref(target);
}
END_TEST

/* ---- roles ---- */

static const struct {
        enum gd_role role;
        const char *name;
} role_cases[] = {
        { GD_ROLE_FRONTDESK, "frontdesk" },
        { GD_ROLE_MARKETING, "marketing" },
        { GD_ROLE_OPS, "ops" },
        { GD_ROLE_ADMIN, "admin" },
};

START_TEST(test_role_roundtrip)
{
        const char *s = gd_role_to_string(role_cases[_i].role);

        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, role_cases[_i].name);
        ck_assert_int_eq(gd_role_from_string(role_cases[_i].name), role_cases[_i].role);
        ck_assert_int_eq(gd_role_from_string(s), role_cases[_i].role);
}
END_TEST

static const char *const bad_roles[] = { "", "root", "Admin", "ADMIN", "admin ", " ops", "front_desk", "op", "opss" };

START_TEST(test_role_unknown)
{
        ck_assert_msg(gd_role_from_string(bad_roles[_i]) == _GD_ROLE_INVALID, "\"%s\" accepted as a role",
                      bad_roles[_i]);
}
END_TEST

START_TEST(test_role_bits)
{
        int r;

        for (r = 0; r < _GD_ROLE_MAX; r++)
                ck_assert_uint_eq(GD_ROLE_BIT(r) & (GD_ROLE_BIT(GD_ROLE_FRONTDESK) | GD_ROLE_BIT(GD_ROLE_OPS)),
                                  (r == GD_ROLE_FRONTDESK || r == GD_ROLE_OPS) ? GD_ROLE_BIT(r) : 0u);
}
END_TEST

/* ---- suites ---- */

static Suite *guest_suite(void)
{
        Suite *s = suite_create("guest");
        TCase *tc;

        n_valid_files = scan_cases("valid", DATA_DIRS, N(DATA_DIRS), valid_files, MAX_DATA_CASES);
        n_invalid_files = scan_cases("invalid", DATA_DIRS, N(DATA_DIRS), invalid_files, MAX_DATA_CASES);

        tc = tcase_create("validate");
        tcase_add_loop_test(tc, test_valid_docs, 0, N(valid_docs));
        tcase_add_loop_test(tc, test_invalid_docs, 0, N(invalid_docs));
        tcase_add_test(tc, test_birth_date_uses_today);
        tcase_add_loop_test(tc, test_length_limits, 0, N(length_cases));
        tcase_add_test(tc, test_external_refs_count);
        tcase_add_loop_test(tc, test_server_owned_rejected, 0, N(SERVER_OWNED));
        tcase_add_test(tc, test_several_errors_reported);
        tcase_add_test(tc, test_validate_does_not_modify);
        suite_add_tcase(s, tc);

        tc = tcase_create("data");
        tcase_add_test(tc, test_data_case_count);
        tcase_add_loop_test(tc, test_data_valid, 0, n_valid_files);
        tcase_add_loop_test(tc, test_data_invalid, 0, n_invalid_files);
        suite_add_tcase(s, tc);

        tc = tcase_create("normalize");
        tcase_add_test(tc, test_normalize_defaults);
        tcase_add_test(tc, test_normalize_full);
        tcase_add_test(tc, test_normalize_keeps_given);
        suite_add_tcase(s, tc);

        tc = tcase_create("patch");
        tcase_add_loop_test(tc, test_patch_accepts, 0, N(patch_ok));
        tcase_add_loop_test(tc, test_patch_rejects, 0, N(patch_bad));
        tcase_add_test(tc, test_patch_reports_all);
        suite_add_tcase(s, tc);

        tc = tcase_create("mask");
        tcase_add_test(tc, test_mask_marketing_no_consent);
        tcase_add_test(tc, test_mask_marketing_consent);
        tcase_add_test(tc, test_mask_marketing_nulls);
        tcase_add_test(tc, test_mask_marketing_partial_address);
        tcase_add_loop_test(tc, test_mask_full_view, 0, N(full_view_roles));
        suite_add_tcase(s, tc);

        tc = tcase_create("marketing_rules");
        tcase_add_test(tc, test_contact_visible_marketing);
        tcase_add_loop_test(tc, test_contact_visible_full_view, 0, N(full_view_roles));
        tcase_add_loop_test(tc, test_birthday_valid, 0, N(birthday_ok));
        tcase_add_loop_test(tc, test_birthday_invalid, 0, N(birthday_bad));
        tcase_add_test(tc, test_birthday_agrees_with_mask);
        suite_add_tcase(s, tc);

        tc = tcase_create("merge_patch");
        tcase_add_loop_test(tc, test_merge_patch, 0, N(merge_cases));
        suite_add_tcase(s, tc);

        return s;
}

static Suite *role_suite(void)
{
        Suite *s = suite_create("role");
        TCase *tc = tcase_create("names");

        tcase_add_loop_test(tc, test_role_roundtrip, 0, N(role_cases));
        tcase_add_loop_test(tc, test_role_unknown, 0, N(bad_roles));
        tcase_add_test(tc, test_role_bits);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(guest_suite());

        srunner_add_suite(sr, role_suite());
        return run_suites(sr);
}
