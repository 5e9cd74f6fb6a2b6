/* SPDX-License-Identifier: MIT */
/* The purge policy: cut-offs, eligibility and its exclusions, the parameters of a run. */
#include "guestd/purge.h"
#include "guestd/rules.h"

#define TEXT(x) #x
#define NUMBER_TEXT(x) TEXT(x)

int64_t gd_purge_cutoff(int64_t now_us, int days)
{
        return now_us - (int64_t) days * GD_USEC_PER_DAY;
}

enum gd_purge_verdict gd_purge_classify(const struct gd_purge_facts *f, int64_t cutoff_us, bool include_vip)
{
        if (f->last_activity_us >= cutoff_us)
                return GD_PURGE_RECENT;
        /* a legal obligation first, then the hotel's own mark, then business still under way */
        if (f->legal_hold)
                return GD_PURGE_LEGAL_HOLD;
        if (f->vip_code && !include_vip)
                return GD_PURGE_VIP;
        if (f->open_stays > 0)
                return GD_PURGE_OPEN_STAY;
        if (f->open_complaints > 0)
                return GD_PURGE_OPEN_COMPLAINT;
        return GD_PURGE_ELIGIBLE;
}

enum gd_purge_verdict gd_purge_classify_expired(const struct gd_purge_facts *f, int64_t grace_cutoff_us)
{
        if (f->last_activity_us >= grace_cutoff_us)
                return GD_PURGE_RECENT;
        return f->legal_hold ? GD_PURGE_LEGAL_HOLD : GD_PURGE_ELIGIBLE;
}

const char *gd_purge_verdict_to_string(enum gd_purge_verdict v)
{
        static const char *const names[_GD_PURGE_VERDICT_MAX] = {
                [GD_PURGE_LEGAL_HOLD] = "legal_hold",
                [GD_PURGE_VIP] = "vip",
                [GD_PURGE_OPEN_STAY] = "open_stay",
                [GD_PURGE_OPEN_COMPLAINT] = "open_complaint",
        };
        return (int) v >= 0 && v < _GD_PURGE_VERDICT_MAX && names[v] ? names[v] : "";
}

static const struct gd_rule run_rules[] = {
        {.name = "inactive_days", .kind = GD_RULE_INT, .imin = GD_PURGE_MIN_INACTIVE_DAYS, .imax = GD_PURGE_MAX_DAYS,
         .dflt = NUMBER_TEXT(GD_PURGE_DEFAULT_INACTIVE_DAYS)},
        {.name = "grace_days", .kind = GD_RULE_INT, .imin = 0, .imax = GD_PURGE_MAX_GRACE_DAYS,
         .dflt = NUMBER_TEXT(GD_PURGE_DEFAULT_GRACE_DAYS)},
        {.name = "batch_size", .kind = GD_RULE_INT, .imin = 1, .imax = GD_PURGE_MAX_BATCH_SIZE,
         .dflt = NUMBER_TEXT(GD_PURGE_DEFAULT_BATCH_SIZE)},
        {.name = "limit", .kind = GD_RULE_INT, .imin = 1, .imax = GD_PURGE_MAX_LIMIT},
        /* nullable in the contract (PurgeRunCreate): null is the default, false */
        {.name = "dry_run", .kind = GD_RULE_BOOL, .nullable = true},
        {.name = "include_vip", .kind = GD_RULE_BOOL, .nullable = true},
        {0},
};

/* What a run answers with: sending any of it back is refused as read-only, not as unknown. */
static const char *const run_server_owned[] = {
        "run_id", "status", "started_by", "cutoff", "grace_cutoff", "started_at", "finished_at", "duration_ms",
        "candidates", "soft_purged", "expired", "hard_deleted", "skipped", "batches", "sample", "error", NULL};

enum gd_err gd_purge_params_from_json(const json_t *body, struct gd_purge_params *ret, struct gd_error *reterr)
{
        if (!json_is_object(body)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The request body must be a JSON object.");
        }
        struct gd_rules_ctx ctx = {.read_only = run_server_owned};
        size_t n = gd_rules_check(body, run_rules, "", &ctx, reterr);
        if (n)
                return gd_error_set(reterr, GD_ERR_INVALID, "The purge run request has %zu invalid field(s).", n);
        json_t *p = gd_rules_normalize(body, run_rules);
        if (!p)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret = (struct gd_purge_params){
                .inactive_days = (int) json_integer_value(json_object_get(p, "inactive_days")),
                .grace_days = (int) json_integer_value(json_object_get(p, "grace_days")),
                .batch_size = (int) json_integer_value(json_object_get(p, "batch_size")),
                .limit = (long) json_integer_value(json_object_get(p, "limit")), /* null reads as 0 */
                .dry_run = json_is_true(json_object_get(p, "dry_run")),
                .include_vip = json_is_true(json_object_get(p, "include_vip")),
        };
        json_decref(p);
        return GD_OK;
}
