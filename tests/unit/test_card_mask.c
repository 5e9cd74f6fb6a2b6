/* SPDX-License-Identifier: MIT */
/* Unit tests for gd_guest_mask on the profile card: preferences, recent stays, stats and special dates by role. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/guest.h"
#include "guestd/role.h"

#include "gd_check.h"

#define PREF(cat, key) \
        "{\"id\": \"p-" cat "\", \"category\": \"" cat "\", \"key\": \"" key "\", \"value\": \"v\"," \
        " \"source\": \"staff\", \"note\": null, \"evidence\": null}"

/* A card as the handlers build it: basic info, stats, preferences (by category, key), special dates, stays. */
#define CARD                                                                                                     \
        "{\"id\": \"f47ac10b-58cc-4372-a567-0e02b2c3d479\", \"version\": 2, \"family_name\": \"Dupont\","         \
        " \"given_name\": \"Marie\", \"birth_date\": \"1985-07-04\", \"ethnicity\": \"Han\","                    \
        " \"notes\": \"Quiet room.\", \"marketing_consent\": true, \"phone\": \"+33612345678\","                \
        " \"email\": \"marie@example.com\", \"address\": {\"line1\": \"1 rue X\", \"city\": \"Paris\","         \
        "   \"country\": \"FR\"},"                                                                               \
        " \"id_document\": {\"type\": \"passport\", \"number\": \"X1\"},"                                        \
        " \"stats\": {\"stays\": 3, \"nights\": 7, \"total_spend\": \"1234.50\", \"currency\": \"EUR\","         \
        "   \"average_spend_per_stay\": \"411.50\", \"last_stay_at\": \"2026-05-04\", \"complaints\": 1,"         \
        "   \"open_complaints\": 0, \"complaint_ratio\": 0.3333},"                                                \
        " \"preferences\": [" PREF("allergy", "feathers") ", " PREF("amenity", "spa") ", "                        \
        PREF("dining", "dining_type") ", " PREF("habit", "party_size") ", " PREF("hygiene", "towels") ", "       \
        PREF("room", "room_type") ", " PREF("taboo", "pork") ", " PREF("travel_purpose", "business") "],"       \
        " \"special_dates\": [{\"id\": \"d1\", \"kind\": \"birthday\", \"date\": \"1985-07-04\", \"label\": null}],"  \
        " \"recent_stays\": [{\"id\": \"s1\", \"check_in\": \"2026-05-01\", \"check_out\": \"2026-05-04\"}]}"

static bool has_category(const json_t *prefs, const char *category)
{
        size_t i;
        json_t *p;

        json_array_foreach(prefs, i, p)
        {
                const char *c = json_string_value(json_object_get(p, "category"));
                if (c && strcmp(c, category) == 0)
                        return true;
        }
        return false;
}

START_TEST(test_marketing_card)
{
        json_t *card = parse(CARD);
        json_t *orig = json_deep_copy(card);
        json_t *prefs, *want;
        static const char *const kept[] = { "amenity", "dining", "habit", "room", "travel_purpose" };
        static const char *const gone[] = { "allergy", "hygiene", "taboo" };
        size_t i;

        gd_guest_mask(card, GD_ROLE_MARKETING);

        ck_assert_msg(json_object_get(card, "recent_stays") == NULL, "recent_stays visible to marketing");
        ck_assert_msg(json_equal(json_object_get(card, "stats"), json_object_get(orig, "stats")), "stats changed");
        /* the birthday among the special dates loses its year, as birth_date does */
        want = parse("[{\"id\": \"d1\", \"kind\": \"birthday\", \"label\": null, \"birthday\": \"07-04\"}]");
        ck_assert_msg(json_equal(json_object_get(card, "special_dates"), want), "special_dates not masked");
        json_decref(want);

        prefs = json_object_get(card, "preferences");
        ck_assert(json_is_array(prefs));
        ck_assert_uint_eq(json_array_size(prefs), (size_t)N(kept));
        for (i = 0; i < (size_t)N(kept); i++) {
                /* the rest keep their order and content */
                ck_assert_str_eq(json_string_value(json_object_get(json_array_get(prefs, i), "category")), kept[i]);
                ck_assert(has_category(json_object_get(orig, "preferences"), kept[i]));
        }
        for (i = 0; i < (size_t)N(gone); i++)
                ck_assert_msg(!has_category(prefs, gone[i]), "%s preference visible to marketing", gone[i]);
        ck_assert(json_equal(json_array_get(prefs, 0), json_array_get(json_object_get(orig, "preferences"), 1)));

        /* basic masking still applies */
        ck_assert_ptr_null(json_object_get(card, "birth_date"));
        ck_assert_str_eq(json_string_value(json_object_get(card, "birthday")), "07-04");
        ck_assert_ptr_null(json_object_get(card, "ethnicity"));
        ck_assert_ptr_null(json_object_get(card, "notes"));
        ck_assert_ptr_null(json_object_get(card, "id_document"));
        ck_assert_ptr_null(json_object_get(json_object_get(card, "address"), "line1"));
        ck_assert_str_eq(json_string_value(json_object_get(card, "phone")), "+33612345678");

        json_decref(orig);
        json_decref(card);
}
END_TEST

static const enum gd_role full_view_roles[] = { GD_ROLE_FRONTDESK, GD_ROLE_OPS, GD_ROLE_ADMIN };

START_TEST(test_full_view_card)
{
        json_t *card = parse(CARD);
        json_t *orig = json_deep_copy(card);

        gd_guest_mask(card, full_view_roles[_i]);
        ck_assert_msg(json_equal(card, orig), "role %s changed the card", gd_role_to_string(full_view_roles[_i]));
        json_decref(orig);
        json_decref(card);
}
END_TEST

/* One member of a card before and after the marketing mask. */
struct member_case {
        const char *before; /* JSON of the member, NULL: absent */
        const char *after;  /* JSON after masking, NULL: absent */
};

/* Masks card, which holds member `name` as c says, for marketing and checks what became of the member. */
static void check_masked_member(json_t *card, const char *name, const struct member_case *c)
{
        json_t *got, *want;
        char *s;

        gd_guest_mask(card, GD_ROLE_MARKETING);
        got = json_object_get(card, name);
        if (!c->after) {
                ck_assert_ptr_null(got);
                return;
        }
        s = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        want = parse(c->after);
        ck_assert_msg(json_equal(got, want), "%s %s became %s", name, c->before ? c->before : "(absent)", s);
        free(s);
        json_decref(want);
}

/* Shapes the card may take: no preferences member, an empty list, only sensitive ones, odd items. */
static const struct member_case shape_cases[] = {
        { NULL, NULL },
        { "[]", "[]" },
        { "null", "null" },
        { "[" PREF("allergy", "nuts") ", " PREF("taboo", "beef") ", " PREF("hygiene", "soap") "]", "[]" },
        { "[" PREF("taboo", "beef") ", " PREF("room", "floor") ", " PREF("allergy", "nuts") "]",
          "[" PREF("room", "floor") "]" },
        { "[" PREF("allergy", "a") ", " PREF("allergy", "b") ", " PREF("other", "c") "]", "[" PREF("other", "c") "]" },
        /* not sensitive: other spellings, missing or non-string categories */
        { "[{\"category\": \"Allergy\"}, {\"category\": null}, {\"key\": \"k\"}, {\"category\": 3}, \"x\"]",
          "[{\"category\": \"Allergy\"}, {\"category\": null}, {\"key\": \"k\"}, {\"category\": 3}, \"x\"]" },
};

START_TEST(test_card_shapes)
{
        json_t *card = json_pack("{s:s, s:b, s:[{s:s}]}", "family_name", "Dupont", "marketing_consent", 0,
                                 "recent_stays", "id", "s1");

        if (shape_cases[_i].before)
                json_object_set_new(card, "preferences", parse(shape_cases[_i].before));
        check_masked_member(card, "preferences", &shape_cases[_i]);
        ck_assert_ptr_null(json_object_get(card, "recent_stays"));
        json_decref(card);
}
END_TEST

#define SD(kind, date) "{\"id\": \"d\", \"kind\": " kind ", \"date\": " date ", \"label\": \"L\"}"
#define SD_MASKED(kind, md) "{\"id\": \"d\", \"kind\": " kind ", \"label\": \"L\", \"birthday\": " md "}"

#define DAY "\"1985-07-04\""
#define NOT_BIRTHDAYS \
        SD("\"Birthday\"", DAY) ", " SD("null", DAY) ", " SD("3", DAY) ", {\"date\": " DAY "}, " DAY

/* Special dates on the marketing card: a birthday's year goes, whatever else the list holds. */
static const struct member_case special_date_cases[] = {
        { NULL, NULL },
        { "[]", "[]" },
        { "null", "null" },
        { "[" SD("\"birthday\"", "\"2015-09-02\"") "]", "[" SD_MASKED("\"birthday\"", "\"09-02\"") "]" },
        { "[" SD("\"birthday\"", "\"2000-02-29\"") "]", "[" SD_MASKED("\"birthday\"", "\"02-29\"") "]" },
        /* anniversaries and other dates keep their year; order and the other items stay */
        { "[" SD("\"anniversary\"", "\"2012-06-23\"") ", " SD("\"birthday\"", "\"1950-04-25\"") ", "
          SD("\"other\"", "\"1990-03-05\"") "]",
          "[" SD("\"anniversary\"", "\"2012-06-23\"") ", " SD_MASKED("\"birthday\"", "\"04-25\"") ", "
          SD("\"other\"", "\"1990-03-05\"") "]" },
        /* no date to show: the year cannot show either */
        { "[" SD("\"birthday\"", "null") "]", "[" SD_MASKED("\"birthday\"", "null") "]" },
        { "[" SD("\"birthday\"", "\"not a date\"") "]", "[" SD_MASKED("\"birthday\"", "null") "]" },
        { "[{\"kind\": \"birthday\"}]", "[{\"kind\": \"birthday\", \"birthday\": null}]" },
        /* not a birthday: other spellings, missing or non-string kinds, non-objects */
        { "[" NOT_BIRTHDAYS "]", "[" NOT_BIRTHDAYS "]" },
};

START_TEST(test_card_special_dates)
{
        json_t *card = json_pack("{s:s, s:b}", "family_name", "Dupont", "marketing_consent", 1);
        json_t *orig;

        if (special_date_cases[_i].before)
                json_object_set_new(card, "special_dates", parse(special_date_cases[_i].before));
        orig = json_deep_copy(card);
        for (size_t r = 0; r < (size_t)N(full_view_roles); r++) {
                gd_guest_mask(card, full_view_roles[r]);
                ck_assert_msg(json_equal(card, orig), "role %s changed the special dates",
                              gd_role_to_string(full_view_roles[r]));
        }
        check_masked_member(card, "special_dates", &special_date_cases[_i]);
        json_decref(orig);
        json_decref(card);
}
END_TEST

/* A search item (basic info only) is masked as before: nothing is added. */
START_TEST(test_basic_info_unchanged)
{
        json_t *g = json_pack("{s:s, s:b, s:s}", "family_name", "Dupont", "marketing_consent", 1, "birth_date",
                              "1990-01-31");

        gd_guest_mask(g, GD_ROLE_MARKETING);
        ck_assert_ptr_null(json_object_get(g, "preferences"));
        ck_assert_ptr_null(json_object_get(g, "recent_stays"));
        ck_assert_ptr_null(json_object_get(g, "stats"));
        ck_assert_ptr_null(json_object_get(g, "special_dates"));
        ck_assert_str_eq(json_string_value(json_object_get(g, "birthday")), "01-31");
        ck_assert_uint_eq(json_object_size(g), 3);
        json_decref(g);
}
END_TEST

static Suite *card_mask_suite(void)
{
        Suite *s = suite_create("card_mask");
        TCase *tc = tcase_create("mask");

        tcase_add_test(tc, test_marketing_card);
        tcase_add_loop_test(tc, test_full_view_card, 0, N(full_view_roles));
        tcase_add_loop_test(tc, test_card_shapes, 0, N(shape_cases));
        tcase_add_loop_test(tc, test_card_special_dates, 0, N(special_date_cases));
        tcase_add_test(tc, test_basic_info_unchanged);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(card_mask_suite()));
}
