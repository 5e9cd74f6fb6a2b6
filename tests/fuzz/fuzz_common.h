/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets: the request body parsed exactly as src/http/body.c does. */
#ifndef GD_FUZZ_COMMON_H
#define GD_FUZZ_COMMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/date.h"
#include "guestd/decimal.h"
#include "guestd/error.h"
#include "guestd/problem.h"

/* A broken invariant is a crash, so libFuzzer keeps the input that shows it. */
#define FUZZ_ASSERT(cond)                                                                  \
        do {                                                                               \
                if (!(cond)) {                                                             \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                           \
                }                                                                          \
        } while (0)

/* The day the rules are checked against, as in the unit tests. */
static const struct gd_date fuzz_today = {2026, 6, 15};

/* Every reported field error must be a terminated string within its slot, and the problem body
 * the client gets (src/http/reply.c) must carry each of them. */
static inline void fuzz_check_error(const struct gd_error *err)
{
        FUZZ_ASSERT(err->n_fields <= GD_ERROR_MAX_FIELDS);
        FUZZ_ASSERT(memchr(err->detail, '\0', sizeof(err->detail)) != NULL);
        for (size_t i = 0; i < err->n_fields; i++) {
                FUZZ_ASSERT(memchr(err->fields[i].pointer, '\0', sizeof(err->fields[i].pointer)) != NULL);
                FUZZ_ASSERT(memchr(err->fields[i].message, '\0', sizeof(err->fields[i].message)) != NULL);
        }
        if (err->n_fields == 0)
                return;
        struct gd_error as_sent = *err;
        as_sent.code = GD_ERR_INVALID;
        json_t *body = gd_problem_body(&as_sent, "/v1/guests", "0123456789abcdef");
        FUZZ_ASSERT(body != NULL);
        FUZZ_ASSERT(json_array_size(json_object_get(body, "errors")) == err->n_fields);
        json_decref(body);
}

/* json_loadb with the server's flags, then its check of over-long number literals. NULL when
 * the server would answer 400 or 422 before any validation. */
static inline json_t *fuzz_parse_body(const uint8_t *data, size_t size)
{
        json_error_t jerr;
        json_t *root = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root)
                return NULL;
        struct gd_error *err = calloc(1, sizeof(*err));
        FUZZ_ASSERT(err != NULL);
        size_t n = gd_json_check_number_precision((const char *) data, size, root, err);
        fuzz_check_error(err);
        free(err);
        if (n > 0) {
                json_decref(root);
                return NULL;
        }
        return root;
}

#endif
