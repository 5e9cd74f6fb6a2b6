/* SPDX-License-Identifier: MIT */
/* The purge policy (pure): the cut-offs, who is a candidate and why a guest is left alone, and the
 * parameters of a run. The database selects by the same cut-off, with one indexed query. */
#ifndef GUESTD_PURGE_H
#define GUESTD_PURGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "guestd/error.h"

/* Defaults and bounds of the parameters, for `guestd purge` and POST /v1/purge-runs alike. A run
 * looks at least 30 days back: a typo must not purge last month's guests. */
#define GD_PURGE_DEFAULT_INACTIVE_DAYS 1095
#define GD_PURGE_DEFAULT_GRACE_DAYS 30
#define GD_PURGE_DEFAULT_BATCH_SIZE 500
#define GD_PURGE_MIN_INACTIVE_DAYS 30
#define GD_PURGE_MAX_DAYS 36500
#define GD_PURGE_MAX_GRACE_DAYS 3650
#define GD_PURGE_MAX_BATCH_SIZE 10000
#define GD_PURGE_MAX_LIMIT 100000000
#define GD_PURGE_SAMPLE_MAX 20 /* candidate ids a dry run shows */

#define GD_USEC_PER_DAY INT64_C(86400000000)

struct gd_purge_params {
        int inactive_days;
        int grace_days;
        int batch_size;
        long limit; /* at most this many soft purges, and as many hard deletes; 0: no limit */
        bool dry_run;
        bool include_vip;
};

/* What the purge makes of one guest. The reasons to leave a stale guest alone come in this order
 * of precedence: a guest is counted once, under the first that applies. */
enum gd_purge_verdict {
        GD_PURGE_RECENT,         /* active (or deleted) at or after the cut-off */
        GD_PURGE_LEGAL_HOLD,     /* legal_hold: never purged nor erased */
        GD_PURGE_VIP,            /* a vip_code, unless the run includes VIPs */
        GD_PURGE_OPEN_STAY,      /* a stay reserved or in house */
        GD_PURGE_OPEN_COMPLAINT, /* a complaint open or in progress */
        GD_PURGE_ELIGIBLE,
        _GD_PURGE_VERDICT_MAX,
};

/* The facts about a guest the policy reads. Instants are microseconds since the Unix epoch. */
struct gd_purge_facts {
        int64_t last_activity_us; /* soft purge: guest_stats.last_activity_at; hard delete: deleted_at */
        bool legal_hold;
        bool vip_code;
        long open_stays;
        long open_complaints;
};

/* now − days × 24 h. Something happened "N days ago or later" exactly when it is not before this. */
int64_t gd_purge_cutoff(int64_t now_us, int days);

/* Soft purge: stale means last activity strictly before the cut-off (activity exactly N days ago
 * keeps a guest; one microsecond earlier does not); then the exclusions, in order. */
enum gd_purge_verdict gd_purge_classify(const struct gd_purge_facts *f, int64_t cutoff_us, bool include_vip);

/* Hard delete of a deleted guest (facts.last_activity_us = its deleted_at): eligible once deleted
 * strictly before the grace cut-off, unless under a legal hold. Nothing else protects it: the
 * deletion itself was the decision, the grace period the time to undo it. */
enum gd_purge_verdict gd_purge_classify_expired(const struct gd_purge_facts *f, int64_t grace_cutoff_us);

/* "legal_hold", "vip", "open_stay", "open_complaint" (the keys of the summary's "skipped"), else "". */
const char *gd_purge_verdict_to_string(enum gd_purge_verdict v);

/* Parameters from a POST /v1/purge-runs body; every member is optional (null = default). Each broken
 * member is listed with its pointer; unknown and server-owned members are refused. GD_ERR_INVALID. */
enum gd_err gd_purge_params_from_json(const json_t *body, struct gd_purge_params *ret, struct gd_error *reterr);

#endif
