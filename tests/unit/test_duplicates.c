/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/duplicates.h: the reasons and their weights (openapi/openapi.yaml,
 * GET /v1/guests/{id}/duplicates), the score, the order of the candidates and the cap, and the
 * body of POST /v1/guests/{id}/merge. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/duplicates.h"
#include "guestd/error.h"

#include "gd_check.h"

#define BIT(r) (1u << (r))

START_TEST(test_table_names_and_weights)
{
        /* the table the OpenAPI document shows, heaviest first */
        static const struct {
                const char *name;
                int weight;
        } want[] = {{"same_id_document", 60}, {"same_name_and_birth_date", 50}, {"same_email", 40},
                    {"same_phone", 30}, {"similar_name_and_birth_date", 20}};
        ck_assert_int_eq(N(want), _GD_DUP_REASON_MAX);
        for (int i = 0; i < _GD_DUP_REASON_MAX; i++) {
                ck_assert_str_eq(gd_dup_rules[i].name, want[i].name);
                ck_assert_int_eq(gd_dup_rules[i].weight, want[i].weight);
                ck_assert_int_eq(gd_dup_reason_from_string(want[i].name), i);
                if (i > 0)
                        ck_assert_int_gt(gd_dup_rules[i - 1].weight, gd_dup_rules[i].weight);
        }
        ck_assert_int_eq(gd_dup_reason_from_string("same_name"), _GD_DUP_REASON_INVALID);
        ck_assert_int_eq(gd_dup_reason_from_string(NULL), _GD_DUP_REASON_INVALID);
}
END_TEST

static const struct {
        unsigned reasons;
        int score;
} score_cases[] = {
        {0, 0},
        {BIT(GD_DUP_EMAIL), 40},
        {BIT(GD_DUP_PHONE), 30},
        {BIT(GD_DUP_SIMILAR_NAME), 20},
        {BIT(GD_DUP_EMAIL) | BIT(GD_DUP_PHONE), 70},
        /* the same name already says what a similar one would */
        {BIT(GD_DUP_NAME_BIRTH_DATE) | BIT(GD_DUP_SIMILAR_NAME), 50},
        {BIT(GD_DUP_SIMILAR_NAME) | BIT(GD_DUP_PHONE), 50},
        /* capped */
        {BIT(GD_DUP_ID_DOCUMENT) | BIT(GD_DUP_NAME_BIRTH_DATE), 100},
        {0x1f, 100},
        /* bits beyond the table count for nothing */
        {BIT(GD_DUP_PHONE) | (1u << 20), 30},
};

START_TEST(test_score)
{
        ck_assert_int_eq(gd_dup_score(score_cases[_i].reasons), score_cases[_i].score);
}
END_TEST

START_TEST(test_rank_orders_scores_and_caps)
{
        json_t *c = parse("["
                          "{\"id\": \"b\", \"reasons\": [\"same_phone\"]},"
                          "{\"id\": \"c\", \"reasons\": [\"same_email\", \"same_id_document\"]},"
                          "{\"id\": \"a\", \"reasons\": [\"same_phone\"]},"
                          "{\"id\": \"d\", \"reasons\": [\"similar_name_and_birth_date\", \"same_name_and_birth_date\","
                          "  \"bogus\"]},"
                          "{\"id\": \"e\", \"reasons\": [\"similar_name_and_birth_date\"]}"
                          "]");
        ck_assert_int_eq(gd_dup_rank(c, 4), 0);
        json_t *want = parse("["
                             "{\"id\": \"c\", \"score\": 100, \"reasons\": [\"same_id_document\", \"same_email\"]},"
                             "{\"id\": \"d\", \"score\": 50, \"reasons\": [\"same_name_and_birth_date\"]},"
                             "{\"id\": \"a\", \"score\": 30, \"reasons\": [\"same_phone\"]},"
                             "{\"id\": \"b\", \"score\": 30, \"reasons\": [\"same_phone\"]}"
                             "]");
        char *got = json_dumps(c, JSON_SORT_KEYS);
        ck_assert_msg(json_equal(c, want), "got %s", got);
        free(got);
        json_decref(want);
        json_decref(c);
}
END_TEST

START_TEST(test_rank_empty)
{
        json_t *c = json_array();
        ck_assert_int_eq(gd_dup_rank(c, 20), 0);
        ck_assert_int_eq(json_array_size(c), 0);
        json_decref(c);
}
END_TEST

/* ---- the merge request ---- */

#define SRC "\"source_id\": \"3f6c1a52-8d4e-4b7a-9c1e-2a5b7d9e0f13\""

START_TEST(test_merge_request_accepted)
{
        const char *bodies[] = {"{" SRC "}", "{" SRC ", \"dry_run\": false}", "{" SRC ", \"dry_run\": true}"};
        for (int i = 0; i < N(bodies); i++) {
                json_t *b = parse(bodies[i]);
                struct gd_error err = {0};
                const char *source = NULL;
                bool dry = true;
                ck_assert_int_eq(gd_merge_request_parse(b, &source, &dry, &err), GD_OK);
                ck_assert_str_eq(source, "3f6c1a52-8d4e-4b7a-9c1e-2a5b7d9e0f13");
                ck_assert(dry == (i == 2));
                json_decref(b);
        }
}
END_TEST

static const struct {
        const char *body;
        const char *pointers;
} refused[] = {
        {"[]", ""},
        {"{}", "/source_id"},
        {"{\"source_id\": 7}", "/source_id"},
        {"{\"source_id\": \"3F6C1A52-8D4E-4B7A-9C1E-2A5B7D9E0F13x\"}", "/source_id"},
        {"{\"source_id\": null}", "/source_id"},
        {"{" SRC ", \"dry_run\": \"true\"}", "/dry_run"},
        {"{" SRC ", \"dry_run\": null}", "/dry_run"},
        {"{" SRC ", \"survivor_id\": \"x\"}", "/survivor_id"},
        {"{\"id\": 1, \"dry_run\": 1}", "/id /source_id /dry_run"},
};

START_TEST(test_merge_request_refused)
{
        json_t *b = parse(refused[_i].body);
        struct gd_error err = {0};
        const char *source = NULL;
        bool dry = false;
        ck_assert_int_eq(gd_merge_request_parse(b, &source, &dry, &err), GD_ERR_INVALID);
        char got[512] = "";
        for (size_t i = 0; i < err.n_fields; i++) {
                if (i)
                        strcat(got, " ");
                strcat(got, err.fields[i].pointer);
        }
        ck_assert_msg(strcmp(got, refused[_i].pointers) == 0, "%s: got '%s'", refused[_i].body, got);
        json_decref(b);
}
END_TEST

static Suite *duplicates_suite(void)
{
        Suite *s = suite_create("duplicates");
        TCase *tc = tcase_create("rules");
        tcase_add_test(tc, test_table_names_and_weights);
        tcase_add_loop_test(tc, test_score, 0, N(score_cases));
        tcase_add_test(tc, test_rank_orders_scores_and_caps);
        tcase_add_test(tc, test_rank_empty);
        suite_add_tcase(s, tc);
        tc = tcase_create("merge_request");
        tcase_add_test(tc, test_merge_request_accepted);
        tcase_add_loop_test(tc, test_merge_request_refused, 0, N(refused));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(duplicates_suite()));
}
