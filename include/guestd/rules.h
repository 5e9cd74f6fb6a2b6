/* SPDX-License-Identifier: MIT */
/* Declarative field rules for JSON request bodies: one table per resource, one engine (pure). */
#ifndef GUESTD_RULES_H
#define GUESTD_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "guestd/date.h"
#include "guestd/error.h"

enum gd_rule_kind {
        GD_RULE_TEXT,       /* string of min..max code points, not blank when min > 0, no control chars */
        GD_RULE_NOTE,       /* like TEXT, but newlines and tabs are allowed */
        GD_RULE_ENUM,       /* one of `values` */
        GD_RULE_PAST_DATE,  /* YYYY-MM-DD between 1900-01-01 and today */
        GD_RULE_COUNTRY,    /* ISO 3166-1 alpha-2 */
        GD_RULE_PHONE,      /* E.164 */
        GD_RULE_EMAIL,
        GD_RULE_LANGUAGE,   /* BCP 47 */
        GD_RULE_BOOL,
        GD_RULE_OBJECT,     /* members checked against `members` */
        GD_RULE_OBJECT_LIST, /* array of at most `max` objects checked against `members`, no duplicates */
        GD_RULE_INT,        /* integer in imin..imax */
        GD_RULE_DECIMAL,    /* number or decimal string: at most `max` integer digits and `scale`
                               decimals, value in imin..imax; normalized to canonical text */
        GD_RULE_DATE,       /* YYYY-MM-DD between 1900-01-01 and 2100-12-31 */
        GD_RULE_DATETIME,   /* a body timestamp: gd_body_timestamp_check() against the context's `now` */
        GD_RULE_CURRENCY,   /* ISO 4217 */
        GD_RULE_UUID,       /* lowercase UUID */
        GD_RULE_COUNT_MAP,  /* object of at most `max` names (1..50 characters) → integer in imin..imax */
};

struct gd_rule {
        const char *name;
        enum gd_rule_kind kind;
        unsigned min, max;
        bool required;
        const char *const *values;     /* ENUM: NULL-terminated */
        const struct gd_rule *members; /* OBJECT, OBJECT_LIST: terminated by an entry with name NULL */
        long imin, imax;               /* INT, DECIMAL, COUNT_MAP values: both always given */
        unsigned scale;                /* DECIMAL: most decimals accepted */
        const char *dflt;              /* JSON text of the value normalize gives an absent member */
        bool nullable;                 /* BOOL, OBJECT_LIST: null reads as absent instead of a 422 */
};

struct gd_rules_ctx {
        struct gd_date today;
        time_t now;                   /* Unix seconds, for GD_RULE_DATETIME */
        const char *const *read_only; /* server-owned member names at the top level (NULL-terminated) */
};

/* Checks every member of obj against rules (terminated by name NULL); each broken field is added
 * to reterr with its JSON pointer under `at` ("" for the document root). Returns the number of
 * field errors added. Unknown members are errors; read-only ones say so. A null member counts as
 * absent, except for a boolean or a list not marked `nullable`: those are refused. */
size_t gd_rules_check(const json_t *obj, const struct gd_rule *rules, const char *at,
                      const struct gd_rules_ctx *ctx, struct gd_error *reterr);

/* Adds a field error for each member of obj that has no rule (read-only or unknown). */
size_t gd_rules_check_names(const json_t *obj, const struct gd_rule *rules, const struct gd_rules_ctx *ctx,
                            struct gd_error *reterr);

/* A new object with every rule's member: the given value (decimals as canonical text), else the
 * rule's default, else false / [] / null by kind. */
json_t *gd_rules_normalize(const json_t *obj, const struct gd_rule *rules);

const struct gd_rule *gd_rules_find(const struct gd_rule *rules, const char *name);

#endif
