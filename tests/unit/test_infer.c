/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/infer.h: each inference rule at its thresholds, ties, evidence text, order. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/infer.h"

#include "gd_check.h"

/* ---- builders ---- */

/* A stay as the db layer would hand it over: room type ("" or NULL for none), party, amenities ("a,b"). */
static struct gd_stay_fact stay(const char *room_type, int party, const char *amenities)
{
        struct gd_stay_fact f;
        const char *p = amenities;

        memset(&f, 0, sizeof(f));
        snprintf(f.room_type, sizeof(f.room_type), "%s", room_type ? room_type : "");
        f.party = party;
        while (p && *p && f.n_amenities < GD_INFER_MAX_AMENITIES) {
                size_t len = strcspn(p, ",");
                snprintf(f.amenities[f.n_amenities++], sizeof(f.amenities[0]), "%.*s", (int)len, p);
                p += len;
                if (*p == ',')
                        p++;
        }
        return f;
}

/* Dining facts from a comma-separated list of types, newest first. */
static size_t dining(const char *types, struct gd_dining_fact *out, size_t cap)
{
        size_t n = 0;
        const char *p = types;

        while (p && *p && n < cap) {
                size_t len = strcspn(p, ",");
                memset(&out[n], 0, sizeof(out[n]));
                snprintf(out[n].dining_type, sizeof(out[n].dining_type), "%.*s", (int)len, p);
                n++;
                p += len;
                if (*p == ',')
                        p++;
        }
        return n;
}

/* The result for (category, key), NULL if none. */
static const struct gd_inferred *find(const struct gd_inferred *r, size_t n, const char *category, const char *key)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (strcmp(r[i].category, category) == 0 && strcmp(r[i].key, key) == 0)
                        return &r[i];
        return NULL;
}

static size_t infer_stays(const struct gd_stay_fact *stays, size_t n, struct gd_inferred *out)
{
        return gd_infer_preferences(stays, n, NULL, 0, out, GD_INFER_MAX_RESULTS);
}

static void expect_one(const struct gd_inferred *r, size_t n, const char *category, const char *key,
                       const char *value, const char *evidence)
{
        const struct gd_inferred *got = find(r, n, category, key);

        ck_assert_msg(got != NULL, "(%s, %s) not inferred", category, key);
        ck_assert_str_eq(got->value, value);
        ck_assert_str_eq(got->evidence, evidence);
}

static void expect_none(const struct gd_inferred *r, size_t n, const char *category, const char *key)
{
        const struct gd_inferred *got = find(r, n, category, key);

        ck_assert_msg(got == NULL, "(%s, %s) inferred as %s: %s", category, key, got ? got->value : "",
                      got ? got->evidence : "");
}

/* ---- nothing to go on ---- */

START_TEST(test_empty)
{
        struct gd_inferred out[GD_INFER_MAX_RESULTS];

        ck_assert_uint_eq(gd_infer_preferences(NULL, 0, NULL, 0, out, GD_INFER_MAX_RESULTS), 0);
        ck_assert_uint_eq(gd_infer_preferences(NULL, 3, NULL, 7, out, GD_INFER_MAX_RESULTS), 0);
}
END_TEST

/* ---- room type: >= 3 of the stays that have one, among the newest 5 ---- */

static const struct {
        const char *types[7]; /* newest first; NULL entries have no room type */
        size_t n;
        const char *value;    /* NULL: nothing inferred */
        const char *evidence;
} room_cases[] = {
        { { "deluxe", "deluxe", "suite", "standard", "suite" }, 5, NULL, NULL },                 /* 2 of 5 */
        { { "deluxe", "deluxe", "suite", "deluxe", "suite" }, 5, "deluxe", "deluxe on 3 of the last 5 stays" },
        { { "deluxe", "deluxe", "deluxe", "deluxe", "suite" }, 5, "deluxe", "deluxe on 4 of the last 5 stays" },
        { { "suite", "suite", "suite", "suite", "suite" }, 5, "suite", "suite on 5 of the last 5 stays" },
        { { "deluxe", "deluxe", "deluxe" }, 3, "deluxe", "deluxe on 3 of the last 3 stays" },
        { { "deluxe", "deluxe" }, 2, NULL, NULL },
        /* M counts only the stays with a room type */
        { { "deluxe", NULL, "deluxe", "deluxe", NULL }, 5, "deluxe", "deluxe on 3 of the last 3 stays" },
        { { "deluxe", NULL, "deluxe", "suite", "deluxe" }, 5, "deluxe", "deluxe on 3 of the last 4 stays" },
        { { NULL, NULL, NULL, "deluxe", "deluxe", "deluxe" }, 6, NULL, NULL }, /* the 6th stay is not looked at */
        /* only the newest 5 stays count, even with more given */
        { { "suite", "suite", "deluxe", "deluxe", "deluxe", "suite", "suite" }, 7, "deluxe",
          "deluxe on 3 of the last 5 stays" },
        { { "suite", "suite", "deluxe", "deluxe", "suite", "deluxe", "deluxe" }, 7, "suite",
          "suite on 3 of the last 5 stays" },
        { { NULL, NULL, NULL, NULL, NULL }, 5, NULL, NULL },
};

START_TEST(test_room_type)
{
        struct gd_stay_fact stays[7];
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t i, n;

        for (i = 0; i < room_cases[_i].n; i++)
                stays[i] = stay(room_cases[_i].types[i], 0, NULL);
        n = infer_stays(stays, room_cases[_i].n, out);
        if (!room_cases[_i].value) {
                expect_none(out, n, "room", "room_type");
                return;
        }
        expect_one(out, n, "room", "room_type", room_cases[_i].value, room_cases[_i].evidence);
}
END_TEST

/* ---- party size: >= 3 of the newest 5 stays ---- */

static const struct {
        int party[7];
        size_t n;
        const char *value;
        const char *evidence;
} party_cases[] = {
        { { 2, 2, 1, 3, 4 }, 5, NULL, NULL },
        { { 2, 2, 1, 2, 4 }, 5, "2", "2 guests on 3 of the last 5 stays" },
        { { 2, 2, 2, 2, 2 }, 5, "2", "2 guests on 5 of the last 5 stays" },
        { { 1, 1, 1 }, 3, "1", "1 guests on 3 of the last 3 stays" },
        { { 4, 4 }, 2, NULL, NULL },
        { { 3, 3, 3, 3 }, 4, "3", "3 guests on 4 of the last 4 stays" },
        { { 12, 1, 12, 2, 12 }, 5, "12", "12 guests on 3 of the last 5 stays" },
        /* the 6th and 7th stays are not looked at */
        { { 1, 2, 3, 2, 4, 2, 2 }, 7, NULL, NULL },
        { { 2, 3, 2, 4, 2, 4, 4 }, 7, "2", "2 guests on 3 of the last 5 stays" },
};

START_TEST(test_party_size)
{
        struct gd_stay_fact stays[7];
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t i, n;

        for (i = 0; i < party_cases[_i].n; i++)
                stays[i] = stay(NULL, party_cases[_i].party[i], NULL);
        n = infer_stays(stays, party_cases[_i].n, out);
        if (!party_cases[_i].value) {
                expect_none(out, n, "habit", "party_size");
                return;
        }
        expect_one(out, n, "habit", "party_size", party_cases[_i].value, party_cases[_i].evidence);
}
END_TEST

/* ---- dining type: most frequent among the newest 20, on >= 3 and >= half ---- */

static const struct {
        const char *types; /* newest first */
        const char *value;
        const char *evidence;
} dining_cases[] = {
        { "breakfast,breakfast", NULL, NULL },
        { "breakfast,breakfast,breakfast", "breakfast", "breakfast on 3 of the last 3 dining charges" },
        { "breakfast,dinner,breakfast,lunch,breakfast,dinner", "breakfast",
          "breakfast on 3 of the last 6 dining charges" }, /* exactly half */
        { "breakfast,dinner,breakfast,lunch,breakfast,dinner,banquet", NULL, NULL }, /* 3 of 7: under half */
        { "breakfast,breakfast,dinner,breakfast,breakfast,lunch,breakfast,breakfast,dinner,breakfast", "breakfast",
          "breakfast on 7 of the last 10 dining charges" },
        /* a tie goes to the type seen most recently */
        { "dinner,breakfast,breakfast,dinner,dinner,breakfast", "dinner", "dinner on 3 of the last 6 dining charges" },
        { "breakfast,dinner,breakfast,dinner,dinner,breakfast", "breakfast",
          "breakfast on 3 of the last 6 dining charges" },
        { "lunch,lunch,lunch,lunch,dinner,dinner,dinner,dinner", "lunch", "lunch on 4 of the last 8 dining charges" },
        /* only the newest 20 count */
        { "lunch,lunch,lunch,lunch,lunch,lunch,lunch,lunch,lunch,lunch,"
          "dinner,dinner,dinner,dinner,dinner,dinner,dinner,dinner,dinner,dinner,"
          "dinner,dinner,dinner",
          "lunch", "lunch on 10 of the last 20 dining charges" },
        { "room_service,room_service,room_service,room_service,room_service,room_service,room_service,"
          "room_service,room_service,room_service,room_service,room_service,room_service,room_service,"
          "room_service,room_service,room_service,room_service,room_service,room_service,room_service",
          "room_service", "room_service on 20 of the last 20 dining charges" },
        /* charges without a type are not counted */
        { "breakfast,,breakfast,,breakfast", "breakfast", "breakfast on 3 of the last 3 dining charges" },
};

START_TEST(test_dining_type)
{
        struct gd_dining_fact facts[32];
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t nd = 0, n;
        const char *p = dining_cases[_i].types;

        /* an empty item between commas is a charge without a type */
        while (*p) {
                size_t len = strcspn(p, ",");
                memset(&facts[nd], 0, sizeof(facts[nd]));
                snprintf(facts[nd].dining_type, sizeof(facts[nd].dining_type), "%.*s", (int)len, p);
                nd++;
                p += len;
                if (*p == ',')
                        p++;
        }
        n = gd_infer_preferences(NULL, 0, facts, nd, out, GD_INFER_MAX_RESULTS);
        if (!dining_cases[_i].value) {
                expect_none(out, n, "dining", "dining_type");
                ck_assert_uint_eq(n, 0);
                return;
        }
        ck_assert_uint_eq(n, 1);
        expect_one(out, n, "dining", "dining_type", dining_cases[_i].value, dining_cases[_i].evidence);
}
END_TEST

/* ---- amenities: used on >= 3 of the newest 5 stays and on >= 60% of them ---- */

static const struct {
        const char *amenities[7]; /* per stay, newest first */
        size_t n;
        const char *spa_evidence; /* NULL: "spa" not inferred */
} amenity_cases[] = {
        { { "spa", "spa", "", "", "" }, 5, NULL },
        { { "spa", "spa", "spa", "", "" }, 5, "used on 3 of the last 5 stays" },
        { { "spa", "", "spa", "spa", "spa" }, 5, "used on 4 of the last 5 stays" },
        { { "spa", "spa", "spa" }, 3, "used on 3 of the last 3 stays" },  /* 3 >= 3 and 100% */
        { { "spa", "spa", "" }, 3, NULL },                                /* 2 of 3 */
        { { "spa", "spa" }, 2, NULL },                                    /* 100% but only 2 */
        { { "spa", "spa", "spa", "" }, 4, "used on 3 of the last 4 stays" }, /* 75% */
        { { "", "", "spa", "spa", "spa", "spa", "spa" }, 7, "used on 3 of the last 5 stays" },
        { { "", "", "", "spa", "spa", "spa", "spa" }, 7, NULL },
        /* listed twice on one stay still counts once */
        { { "spa,spa", "spa,spa", "", "", "" }, 5, NULL },
};

START_TEST(test_amenities)
{
        struct gd_stay_fact stays[7];
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t i, n;

        for (i = 0; i < amenity_cases[_i].n; i++)
                stays[i] = stay(NULL, (int)i + 1, amenity_cases[_i].amenities[i]);
        n = infer_stays(stays, amenity_cases[_i].n, out);
        if (!amenity_cases[_i].spa_evidence) {
                expect_none(out, n, "amenity", "spa");
                return;
        }
        expect_one(out, n, "amenity", "spa", "used", amenity_cases[_i].spa_evidence);
}
END_TEST

/* ---- all rules together: order and shape ---- */

START_TEST(test_order)
{
        struct gd_stay_fact stays[5] = {
                stay("deluxe", 2, "parking,spa"),
                stay("deluxe", 2, "minibar,spa,parking"),
                stay("suite", 2, "gym,minibar,spa"),
                stay("deluxe", 2, "minibar,spa,gym"),
                stay("standard", 1, "parking"),
        };
        struct gd_dining_fact facts[10];
        size_t nd = dining("breakfast,breakfast,dinner,breakfast,breakfast,lunch,breakfast,breakfast,dinner,breakfast",
                           facts, 10);
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t n = gd_infer_preferences(stays, 5, facts, nd, out, GD_INFER_MAX_RESULTS);
        static const struct gd_inferred want[] = {
                { "room", "room_type", "deluxe", "deluxe on 3 of the last 5 stays" },
                { "habit", "party_size", "2", "2 guests on 4 of the last 5 stays" },
                { "dining", "dining_type", "breakfast", "breakfast on 7 of the last 10 dining charges" },
                /* in order of first appearance: parking (stay 0), spa (stay 0), minibar (stay 1); gym has 2 */
                { "amenity", "parking", "used", "used on 3 of the last 5 stays" },
                { "amenity", "spa", "used", "used on 4 of the last 5 stays" },
                { "amenity", "minibar", "used", "used on 3 of the last 5 stays" },
        };
        size_t i;

        ck_assert_uint_eq(n, (size_t)N(want));
        for (i = 0; i < n; i++) {
                ck_assert_str_eq(out[i].category, want[i].category);
                ck_assert_str_eq(out[i].key, want[i].key);
                ck_assert_str_eq(out[i].value, want[i].value);
                ck_assert_str_eq(out[i].evidence, want[i].evidence);
        }
}
END_TEST

/* The evidence examples of the API document, word for word. */
START_TEST(test_documented_evidence)
{
        struct gd_stay_fact stays[5] = {
                stay("deluxe", 2, "spa"), stay("deluxe", 2, "spa"), stay("suite", 3, ""),
                stay("deluxe", 2, "spa"), stay("deluxe", 1, "spa"),
        };
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t n = infer_stays(stays, 5, out);

        expect_one(out, n, "room", "room_type", "deluxe", "deluxe on 4 of the last 5 stays");
        expect_one(out, n, "habit", "party_size", "2", "2 guests on 3 of the last 5 stays");
        expect_one(out, n, "amenity", "spa", "used", "used on 4 of the last 5 stays");
        ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(test_capacity)
{
        struct gd_stay_fact stays[3] = {
                stay("suite", 2, "spa,gym,pool"), stay("suite", 2, "spa,gym,pool"), stay("suite", 2, "spa,gym,pool"),
        };
        struct gd_inferred out[8];
        size_t n;

        memset(out, 0x5a, sizeof(out));
        n = gd_infer_preferences(stays, 3, NULL, 0, out, 8);
        ck_assert_uint_eq(n, 5);
        ck_assert_str_eq(out[4].key, "pool");

        memset(out, 0x5a, sizeof(out));
        n = gd_infer_preferences(stays, 3, NULL, 0, out, 2);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(out[0].key, "room_type");
        ck_assert_str_eq(out[1].key, "party_size");
        ck_assert_uint_eq((unsigned char)out[2].category[0], 0x5a); /* nothing written past cap */

        ck_assert_uint_eq(gd_infer_preferences(stays, 3, NULL, 0, NULL, 0), 0);
}
END_TEST

/* Names use the whole field: a 50-character amenity and a 31-character room type. */
START_TEST(test_long_names)
{
        struct gd_stay_fact stays[3];
        struct gd_inferred out[GD_INFER_MAX_RESULTS];
        char name[51], type[32];
        size_t i, n;

        memset(name, 'a', 50);
        name[50] = '\0';
        memset(type, 't', 31);
        type[31] = '\0';
        for (i = 0; i < 3; i++) {
                stays[i] = stay(type, 2, NULL);
                memcpy(stays[i].amenities[0], name, sizeof(name));
                stays[i].n_amenities = 1;
        }
        n = infer_stays(stays, 3, out);
        expect_one(out, n, "amenity", name, "used", "used on 3 of the last 3 stays");
        ck_assert_str_eq(find(out, n, "room", "room_type")->value, type);
}
END_TEST

/* Every amenity of every stay fits: the most the rules can infer. */
START_TEST(test_many_amenities)
{
        static struct gd_stay_fact stays[5];
        static struct gd_inferred out[GD_INFER_MAX_RESULTS];
        size_t i, j, n;

        for (i = 0; i < 5; i++) {
                stays[i] = stay("suite", 2, NULL);
                stays[i].n_amenities = GD_INFER_MAX_AMENITIES;
                for (j = 0; j < GD_INFER_MAX_AMENITIES; j++)
                        snprintf(stays[i].amenities[j], sizeof(stays[i].amenities[j]), "amenity-%zu",
                                 i < 3 ? j : j + 100 * i);
        }
        n = infer_stays(stays, 5, out);
        ck_assert_uint_eq(n, GD_INFER_MAX_RESULTS - 1); /* room, party and 50 amenities; no dining */
        ck_assert_str_eq(out[2].key, "amenity-0");
        ck_assert_str_eq(out[2].evidence, "used on 3 of the last 5 stays");
        ck_assert_str_eq(out[n - 1].key, "amenity-49");
}
END_TEST

static Suite *infer_suite(void)
{
        Suite *s = suite_create("infer");
        TCase *tc = tcase_create("rules");

        tcase_add_test(tc, test_empty);
        tcase_add_loop_test(tc, test_room_type, 0, N(room_cases));
        tcase_add_loop_test(tc, test_party_size, 0, N(party_cases));
        tcase_add_loop_test(tc, test_dining_type, 0, N(dining_cases));
        tcase_add_loop_test(tc, test_amenities, 0, N(amenity_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("results");
        tcase_add_test(tc, test_order);
        tcase_add_test(tc, test_documented_evidence);
        tcase_add_test(tc, test_capacity);
        tcase_add_test(tc, test_long_names);
        tcase_add_test(tc, test_many_amenities);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(infer_suite()));
}
