/* SPDX-License-Identifier: MIT */
/* Likely duplicates: the reasons, their weights, the score and the order of the candidates. */
#include <stdlib.h>
#include <string.h>

#include "guestd/duplicates.h"
#include "guestd/validate.h"

/* An identity document identifies a person on its own; a name with a birth date nearly does; a
 * shared e-mail or phone is often a family's or a company's; a similar name only hints. */
const struct gd_dup_rule gd_dup_rules[_GD_DUP_REASON_MAX] = {
        [GD_DUP_ID_DOCUMENT] = {"same_id_document", 60},
        [GD_DUP_NAME_BIRTH_DATE] = {"same_name_and_birth_date", 50},
        [GD_DUP_EMAIL] = {"same_email", 40},
        [GD_DUP_PHONE] = {"same_phone", 30},
        [GD_DUP_SIMILAR_NAME] = {"similar_name_and_birth_date", 20},
};

enum gd_dup_reason gd_dup_reason_from_string(const char *s)
{
        for (int i = 0; s && i < _GD_DUP_REASON_MAX; i++)
                if (strcmp(s, gd_dup_rules[i].name) == 0)
                        return (enum gd_dup_reason) i;
        return _GD_DUP_REASON_INVALID;
}

static unsigned counted(unsigned reasons)
{
        reasons &= (1u << _GD_DUP_REASON_MAX) - 1;
        if (reasons & (1u << GD_DUP_NAME_BIRTH_DATE))
                reasons &= ~(1u << GD_DUP_SIMILAR_NAME);
        return reasons;
}

int gd_dup_score(unsigned reasons)
{
        reasons = counted(reasons);
        int score = 0;
        for (int i = 0; i < _GD_DUP_REASON_MAX; i++)
                if (reasons & (1u << i))
                        score += gd_dup_rules[i].weight;
        return score > GD_DUP_MAX_SCORE ? GD_DUP_MAX_SCORE : score;
}

static int best_first(const void *a, const void *b)
{
        const json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
        json_int_t sx = json_integer_value(json_object_get(x, "score"));
        json_int_t sy = json_integer_value(json_object_get(y, "score"));
        if (sx != sy)
                return sx > sy ? -1 : 1;
        const char *ix = json_string_value(json_object_get(x, "id"));
        const char *iy = json_string_value(json_object_get(y, "id"));
        return strcmp(ix ? ix : "", iy ? iy : "");
}

int gd_dup_rank(json_t *candidates, size_t cap)
{
        size_t n = json_array_size(candidates);
        if (n == 0)
                return 0;
        json_t **items = calloc(n, sizeof(*items));
        if (!items)
                return -1;
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *c = items[i] = json_incref(json_array_get(candidates, i));
                unsigned reasons = 0;
                size_t k;
                json_t *r;
                json_array_foreach (json_object_get(c, "reasons"), k, r) {
                        enum gd_dup_reason why = gd_dup_reason_from_string(json_string_value(r));
                        if (why != _GD_DUP_REASON_INVALID)
                                reasons |= 1u << why;
                }
                reasons = counted(reasons);
                json_t *names = json_array();
                for (int w = 0; names && w < _GD_DUP_REASON_MAX; w++)
                        if (reasons & (1u << w))
                                json_array_append_new(names, json_string(gd_dup_rules[w].name));
                if (!names || json_object_set_new(c, "reasons", names) < 0 ||
                    json_object_set_new(c, "score", json_integer(gd_dup_score(reasons))) < 0)
                        rc = -1;
        }
        if (rc == 0) {
                qsort(items, n, sizeof(*items), best_first);
                json_array_clear(candidates);
                for (size_t i = 0; i < n && i < cap; i++)
                        json_array_append(candidates, items[i]);
        }
        for (size_t i = 0; i < n; i++)
                json_decref(items[i]);
        free(items);
        return rc;
}

enum gd_err gd_merge_request_parse(const json_t *body, const char **ret_source, bool *ret_dry_run,
                                   struct gd_error *reterr)
{
        if (!json_is_object(body)) {
                gd_error_add_field(reterr, "", "must be an object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The merge request is not valid.");
        }
        const char *key;
        json_t *v;
        json_object_foreach ((json_t *) body, key, v)
                if (strcmp(key, "source_id") != 0 && strcmp(key, "dry_run") != 0) {
                        char ptr[GD_POINTER_MAX];
                        gd_pointer_append(ptr, sizeof(ptr), "", key);
                        gd_error_add_field(reterr, ptr, "is not a member of a merge request");
                }
        json_t *source = json_object_get(body, "source_id");
        json_t *dry = json_object_get(body, "dry_run");
        if (!source)
                gd_error_add_field(reterr, "/source_id", "is required");
        else if (!json_is_string(source) || !gd_valid_uuid(json_string_value(source)))
                gd_error_add_field(reterr, "/source_id", "must be a guest id");
        if (dry && !json_is_boolean(dry))
                gd_error_add_field(reterr, "/dry_run", "must be true or false");
        if (reterr->n_fields > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "The merge request is not valid.");
        *ret_source = json_string_value(source);
        *ret_dry_run = json_is_true(dry);
        return GD_OK;
}
