/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/purge.h: the cut-off and the boundary instant, each exclusion and their
 * precedence (DESIGN §7; openapi/openapi.yaml, "Purge"), the hard-delete rule, and the parameters of
 * POST /v1/purge-runs and `guestd purge` (defaults, bounds, unknown and server-owned members). */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guestd/error.h"
#include "guestd/purge.h"

#include "gd_check.h"

/* 2026-11-27T09:10:17.123456Z */
#define NOW_US INT64_C(1795770617123456)
#define DAY GD_USEC_PER_DAY

/* A stale guest with nothing that protects it: last active four years before NOW_US. */
static struct gd_purge_facts stale(void)
{
        return (struct gd_purge_facts){.last_activity_us = NOW_US - 1461 * DAY};
}

static enum gd_purge_verdict classify(const struct gd_purge_facts *f, bool include_vip)
{
        return gd_purge_classify(f, gd_purge_cutoff(NOW_US, GD_PURGE_DEFAULT_INACTIVE_DAYS), include_vip);
}

/* ---- the cut-off ---- */

START_TEST(test_cutoff_is_days_of_24_hours)
{
        ck_assert(gd_purge_cutoff(NOW_US, 1095) == NOW_US - INT64_C(1095) * 86400 * 1000000);
        ck_assert(gd_purge_cutoff(NOW_US, 1) == NOW_US - INT64_C(86400000000));
        ck_assert(gd_purge_cutoff(NOW_US, 0) == NOW_US);
        /* no overflow at the largest bound */
        ck_assert(gd_purge_cutoff(NOW_US, GD_PURGE_MAX_DAYS) == NOW_US - INT64_C(36500) * DAY);
}
END_TEST

/* Activity exactly N days ago keeps a guest; one microsecond earlier makes it a candidate. */
static const struct {
        int64_t offset_us; /* from now − N days */
        enum gd_purge_verdict expected;
} boundary_cases[] = {
        {-1, GD_PURGE_ELIGIBLE},
        {0, GD_PURGE_RECENT},
        {1, GD_PURGE_RECENT},
        {-DAY, GD_PURGE_ELIGIBLE},
        {DAY, GD_PURGE_RECENT},
        {INT64_C(1095) * DAY, GD_PURGE_RECENT}, /* active right now */
        {INT64_C(2000) * DAY, GD_PURGE_RECENT}, /* a stay checking out in the future */
};

START_TEST(test_boundary_instant)
{
        for (int days = GD_PURGE_MIN_INACTIVE_DAYS; days <= 3650; days += 1095 - GD_PURGE_MIN_INACTIVE_DAYS) {
                struct gd_purge_facts f = {.last_activity_us = NOW_US - days * DAY + boundary_cases[_i].offset_us};
                enum gd_purge_verdict v = gd_purge_classify(&f, gd_purge_cutoff(NOW_US, days), false);
                ck_assert_msg(v == boundary_cases[_i].expected, "%d days, offset %lld us: verdict %d, expected %d",
                              days, (long long) boundary_cases[_i].offset_us, v, boundary_cases[_i].expected);
        }
}
END_TEST

/* ---- exclusions ---- */

/* Each exclusion alone, on a guest last active four years ago, with and without include_vip. */
static const struct {
        const char *what;
        struct gd_purge_facts protection;
        enum gd_purge_verdict without_vip, with_vip;
} exclusion_cases[] = {
        {"nothing", {0}, GD_PURGE_ELIGIBLE, GD_PURGE_ELIGIBLE},
        {"legal_hold", {.legal_hold = true}, GD_PURGE_LEGAL_HOLD, GD_PURGE_LEGAL_HOLD},
        {"a vip_code", {.vip_code = true}, GD_PURGE_VIP, GD_PURGE_ELIGIBLE},
        {"a stay reserved or in house", {.open_stays = 1}, GD_PURGE_OPEN_STAY, GD_PURGE_OPEN_STAY},
        {"seven such stays", {.open_stays = 7}, GD_PURGE_OPEN_STAY, GD_PURGE_OPEN_STAY},
        {"a complaint open or in progress", {.open_complaints = 1}, GD_PURGE_OPEN_COMPLAINT,
         GD_PURGE_OPEN_COMPLAINT},
};

START_TEST(test_each_exclusion)
{
        struct gd_purge_facts f = exclusion_cases[_i].protection;

        f.last_activity_us = stale().last_activity_us;
        ck_assert_msg(classify(&f, false) == exclusion_cases[_i].without_vip, "%s: verdict %d", exclusion_cases[_i].what,
                      classify(&f, false));
        ck_assert_msg(classify(&f, true) == exclusion_cases[_i].with_vip, "%s, VIPs included: verdict %d",
                      exclusion_cases[_i].what, classify(&f, true));
}
END_TEST

/* A recent guest is not a candidate, and its protections are not counted as skips. */
START_TEST(test_recent_guest_is_never_skipped)
{
        struct gd_purge_facts f = {.last_activity_us = NOW_US - 10 * DAY, .legal_hold = true, .vip_code = true,
                                   .open_stays = 1, .open_complaints = 1};

        ck_assert_int_eq(classify(&f, false), GD_PURGE_RECENT);
}
END_TEST

/* Every combination of the four protections: the first in the order legal hold, VIP, open stay, open
 * complaint decides (bit 0 legal hold, bit 1 vip_code, bit 2 open stay, bit 3 open complaint). */
START_TEST(test_precedence)
{
        struct gd_purge_facts f = stale();
        int mask = _i;

        f.legal_hold = mask & 1;
        f.vip_code = mask & 2;
        f.open_stays = (mask & 4) ? 2 : 0;
        f.open_complaints = (mask & 8) ? 3 : 0;
        for (int include_vip = 0; include_vip <= 1; include_vip++) {
                enum gd_purge_verdict want = GD_PURGE_ELIGIBLE;
                if (mask & 1)
                        want = GD_PURGE_LEGAL_HOLD;
                else if ((mask & 2) && !include_vip)
                        want = GD_PURGE_VIP;
                else if (mask & 4)
                        want = GD_PURGE_OPEN_STAY;
                else if (mask & 8)
                        want = GD_PURGE_OPEN_COMPLAINT;
                ck_assert_msg(classify(&f, include_vip) == want, "mask %d, include_vip %d: verdict %d, expected %d",
                              mask, include_vip, classify(&f, include_vip), want);
        }
}
END_TEST

START_TEST(test_verdict_names)
{
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_LEGAL_HOLD), "legal_hold");
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_VIP), "vip");
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_OPEN_STAY), "open_stay");
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_OPEN_COMPLAINT), "open_complaint");
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_ELIGIBLE), "");
        ck_assert_str_eq(gd_purge_verdict_to_string(GD_PURGE_RECENT), "");
        ck_assert_str_eq(gd_purge_verdict_to_string(_GD_PURGE_VERDICT_MAX), "");
}
END_TEST

/* ---- hard delete ---- */

START_TEST(test_expired_boundary_and_legal_hold)
{
        int64_t grace = gd_purge_cutoff(NOW_US, GD_PURGE_DEFAULT_GRACE_DAYS);
        struct gd_purge_facts f = {.last_activity_us = grace};

        ck_assert_int_eq(gd_purge_classify_expired(&f, grace), GD_PURGE_RECENT); /* exactly 30 days ago */
        f.last_activity_us = grace - 1;
        ck_assert_int_eq(gd_purge_classify_expired(&f, grace), GD_PURGE_ELIGIBLE);
        f.legal_hold = true;
        ck_assert_int_eq(gd_purge_classify_expired(&f, grace), GD_PURGE_LEGAL_HOLD);
}
END_TEST

/* Only a legal hold keeps a deleted guest: a VIP mark, a reservation or an open complaint do not. */
START_TEST(test_expired_ignores_other_protections)
{
        struct gd_purge_facts f = {.last_activity_us = NOW_US - 40 * DAY, .vip_code = true, .open_stays = 1,
                                   .open_complaints = 1};

        ck_assert_int_eq(gd_purge_classify_expired(&f, gd_purge_cutoff(NOW_US, 30)), GD_PURGE_ELIGIBLE);
}
END_TEST

/* With grace 0 the cut-off is now: a guest purged a moment ago is already past it. */
START_TEST(test_grace_zero)
{
        struct gd_purge_facts f = {.last_activity_us = NOW_US - 1};

        ck_assert_int_eq(gd_purge_classify_expired(&f, gd_purge_cutoff(NOW_US, 0)), GD_PURGE_ELIGIBLE);
}
END_TEST

/* ---- parameters ---- */

static void params_ok(const char *body, struct gd_purge_params *ret)
{
        struct gd_error err = {0};
        json_t *doc = parse(body);
        char got[1024];
        enum gd_err rc = gd_purge_params_from_json(doc, ret, &err);

        describe(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_OK, "%s: refused: [%s]", body, got);
        ck_assert_msg(err.n_fields == 0, "%s: accepted with field errors [%s]", body, got);
        json_decref(doc);
}

START_TEST(test_params_defaults)
{
        const char *const bodies[] = {"{}", "{\"inactive_days\": null, \"grace_days\": null, \"batch_size\": null,"
                                            " \"limit\": null, \"dry_run\": null, \"include_vip\": null}"};

        for (int i = 0; i < N(bodies); i++) {
                struct gd_purge_params p;
                params_ok(bodies[i], &p);
                ck_assert_int_eq(p.inactive_days, 1095);
                ck_assert_int_eq(p.grace_days, 30);
                ck_assert_int_eq(p.batch_size, 500);
                ck_assert_int_eq(p.limit, 0);
                ck_assert(!p.dry_run);
                ck_assert(!p.include_vip);
        }
}
END_TEST

START_TEST(test_params_all_given)
{
        struct gd_purge_params p;

        params_ok("{\"inactive_days\": 400, \"grace_days\": 0, \"batch_size\": 25, \"limit\": 7, \"dry_run\": true,"
                  " \"include_vip\": true}", &p);
        ck_assert_int_eq(p.inactive_days, 400);
        ck_assert_int_eq(p.grace_days, 0);
        ck_assert_int_eq(p.batch_size, 25);
        ck_assert_int_eq(p.limit, 7);
        ck_assert(p.dry_run);
        ck_assert(p.include_vip);
}
END_TEST

static const char *const valid_bodies[] = {
        "{\"inactive_days\": 30}",     "{\"inactive_days\": 36500}", "{\"grace_days\": 3650}",
        "{\"batch_size\": 1}",         "{\"batch_size\": 10000}",    "{\"limit\": 1}",
        "{\"limit\": 100000000}",      "{\"dry_run\": false}",       "{\"include_vip\": false}",
};

START_TEST(test_params_bounds_accepted)
{
        struct gd_purge_params p;

        params_ok(valid_bodies[_i], &p);
}
END_TEST

static const struct {
        const char *body, *pointer;
} invalid_bodies[] = {
        {"{\"inactive_days\": 29}", "/inactive_days"},
        {"{\"inactive_days\": 0}", "/inactive_days"},
        {"{\"inactive_days\": -1095}", "/inactive_days"},
        {"{\"inactive_days\": 36501}", "/inactive_days"},
        {"{\"inactive_days\": 1095.5}", "/inactive_days"},
        {"{\"inactive_days\": 1095.0}", "/inactive_days"},
        {"{\"inactive_days\": \"1095\"}", "/inactive_days"},
        {"{\"inactive_days\": true}", "/inactive_days"},
        {"{\"grace_days\": -1}", "/grace_days"},
        {"{\"grace_days\": 3651}", "/grace_days"},
        {"{\"grace_days\": [30]}", "/grace_days"},
        {"{\"batch_size\": 0}", "/batch_size"},
        {"{\"batch_size\": 10001}", "/batch_size"},
        {"{\"limit\": 0}", "/limit"},
        {"{\"limit\": -5}", "/limit"},
        {"{\"limit\": 100000001}", "/limit"},
        {"{\"dry_run\": \"true\"}", "/dry_run"},
        {"{\"dry_run\": 1}", "/dry_run"},
        {"{\"include_vip\": \"yes\"}", "/include_vip"},
        {"{\"inactive\": 1095}", "/inactive"},
        {"{\"grace\": 0}", "/grace"},
        {"{\"run_id\": \"3f6c1a52-8d4e-4b7a-9c1e-2a5b7d9e0f13\"}", "/run_id"},
        {"{\"status\": \"done\"}", "/status"},
        {"{\"candidates\": 0}", "/candidates"},
        {"[]", ""},
        {"1095", ""},
        {"null", ""},
};

START_TEST(test_params_refused)
{
        struct gd_error err = {0};
        struct gd_purge_params p = {.inactive_days = -7};
        json_t *doc = parse(invalid_bodies[_i].body);
        char got[1024];
        enum gd_err rc = gd_purge_params_from_json(doc, &p, &err);

        describe(&err, got, sizeof(got));
        ck_assert_msg(rc == GD_ERR_INVALID, "%s: expected GD_ERR_INVALID, got %d", invalid_bodies[_i].body, rc);
        ck_assert_msg(err.n_fields == 1 && has_message(&err, invalid_bodies[_i].pointer),
                      "%s: expected one error at \"%s\", got [%s]", invalid_bodies[_i].body, invalid_bodies[_i].pointer,
                      got);
        ck_assert_msg(p.inactive_days == -7, "%s: the parameters were written on failure", invalid_bodies[_i].body);
        json_decref(doc);
}
END_TEST

START_TEST(test_params_read_only_and_unknown_say_which)
{
        struct gd_error err = {0};
        struct gd_purge_params p;
        json_t *doc = parse("{\"status\": \"done\", \"colour\": \"red\"}");

        ck_assert_int_eq(gd_purge_params_from_json(doc, &p, &err), GD_ERR_INVALID);
        ck_assert_str_eq(message_at(&err, "/status"), "is read-only");
        ck_assert_str_eq(message_at(&err, "/colour"), "is not a known field");
        json_decref(doc);
}
END_TEST

START_TEST(test_params_every_error_listed)
{
        struct gd_error err = {0};
        struct gd_purge_params p;
        json_t *doc = parse("{\"inactive_days\": 1, \"grace_days\": -1, \"batch_size\": \"x\", \"limit\": 0,"
                            " \"dry_run\": 0, \"include_vip\": null, \"extra\": 1}");
        char got[2048];

        ck_assert_int_eq(gd_purge_params_from_json(doc, &p, &err), GD_ERR_INVALID);
        describe_pointers(&err, got, sizeof(got));
        ck_assert_msg(err.n_fields == 6, "expected 6 field errors, got [%s]", got);
        const char *const pointers[] = {"/inactive_days", "/grace_days", "/batch_size", "/limit", "/dry_run", "/extra"};
        for (int i = 0; i < N(pointers); i++)
                ck_assert_msg(has_message(&err, pointers[i]), "no error at %s: [%s]", pointers[i], got);
        json_decref(doc);
}
END_TEST

static Suite *purge_suite(void)
{
        Suite *s = suite_create("purge");
        TCase *tc = tcase_create("cutoff");

        tcase_add_test(tc, test_cutoff_is_days_of_24_hours);
        tcase_add_loop_test(tc, test_boundary_instant, 0, N(boundary_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("exclusions");
        tcase_add_loop_test(tc, test_each_exclusion, 0, N(exclusion_cases));
        tcase_add_test(tc, test_recent_guest_is_never_skipped);
        tcase_add_loop_test(tc, test_precedence, 0, 16);
        tcase_add_test(tc, test_verdict_names);
        suite_add_tcase(s, tc);

        tc = tcase_create("hard_delete");
        tcase_add_test(tc, test_expired_boundary_and_legal_hold);
        tcase_add_test(tc, test_expired_ignores_other_protections);
        tcase_add_test(tc, test_grace_zero);
        suite_add_tcase(s, tc);

        tc = tcase_create("params");
        tcase_add_test(tc, test_params_defaults);
        tcase_add_test(tc, test_params_all_given);
        tcase_add_loop_test(tc, test_params_bounds_accepted, 0, N(valid_bodies));
        tcase_add_loop_test(tc, test_params_refused, 0, N(invalid_bodies));
        tcase_add_test(tc, test_params_read_only_and_unknown_say_which);
        tcase_add_test(tc, test_params_every_error_listed);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(purge_suite()));
}
