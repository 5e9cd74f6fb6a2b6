/* SPDX-License-Identifier: MIT */
/* Likely duplicates (pure): why two guests may be one person, and how much each reason weighs.
 * The database finds the candidates and the reasons that hold for each (one indexed lookup per
 * reason, guest_duplicates in db/statements.c); this file scores and orders them. */
#ifndef GUESTD_DUPLICATES_H
#define GUESTD_DUPLICATES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "guestd/error.h"

enum gd_dup_reason {
        GD_DUP_ID_DOCUMENT,     /* same identity document: type, number and country */
        GD_DUP_NAME_BIRTH_DATE, /* same family and given name (case and accents folded) and birth date */
        GD_DUP_EMAIL,           /* same e-mail, trimmed and lower-cased */
        GD_DUP_PHONE,           /* same E.164 phone number */
        GD_DUP_SIMILAR_NAME,    /* trigram-similar name and the same birth date */
        _GD_DUP_REASON_MAX,
        _GD_DUP_REASON_INVALID = -1,
};

struct gd_dup_rule {
        const char *name; /* as the API shows it */
        int weight;       /* points the reason adds to a candidate's score */
};

/* The table, in order of weight (heaviest first). */
extern const struct gd_dup_rule gd_dup_rules[_GD_DUP_REASON_MAX];

#define GD_DUP_MAX_SCORE 100
#define GD_DUP_MAX_CANDIDATES 20

enum gd_dup_reason gd_dup_reason_from_string(const char *s);

/* The score of a set of reasons (bits 1 << reason): the sum of their weights, at most
 * GD_DUP_MAX_SCORE. A similar name adds nothing when the same name already counted. */
int gd_dup_score(unsigned reasons);

/* Replaces each candidate's "reasons" (names, any order, unknown ones dropped) by the reasons that
 * count, heaviest first, adds its "score", orders the array best first (score, then id) and keeps
 * the first `cap`. Returns 0, or -1 when out of memory. */
int gd_dup_rank(json_t *candidates, size_t cap);

/* The body of POST /v1/guests/{id}/merge: {"source_id": uuid (required), "dry_run": bool (default
 * false)}, nothing else. *ret_source points into body. GD_ERR_INVALID with field errors. */
enum gd_err gd_merge_request_parse(const json_t *body, const char **ret_source, bool *ret_dry_run,
                                   struct gd_error *reterr);

#endif
