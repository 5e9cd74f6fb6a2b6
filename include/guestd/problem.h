/* SPDX-License-Identifier: MIT */
/* The one mapping from enum gd_err to an HTTP status and an RFC 9457 problem type. */
#ifndef GUESTD_PROBLEM_H
#define GUESTD_PROBLEM_H

#include <jansson.h>

#include "guestd/error.h"

struct gd_problem {
        unsigned status;   /* HTTP status */
        const char *type;  /* "/problems/<slug>" */
        const char *title; /* short, factual, no implementation detail */
};

/* Never NULL: unknown codes map to the 500 entry. */
const struct gd_problem *gd_problem_for(enum gd_err code);

/*
 * Builds the problem+json body for err: type, title, status, detail (omitted for 5xx, whose
 * cause is only logged), instance, request_id, errors[] when there are field errors and
 * merged_into when set. Returns a new reference or NULL on allocation failure.
 */
json_t *gd_problem_body(const struct gd_error *err, const char *instance, const char *request_id);

#endif
