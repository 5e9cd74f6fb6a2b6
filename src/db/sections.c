/* SPDX-License-Identifier: MIT */
/* The dossier sections repository: one statement set per section, one code path for all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct section_statements {
        enum gd_stmt insert, get, list, update, delete;
};

static const struct section_statements statements[_GD_SECTION_MAX] = {
        [GD_SECTION_STAYS] = {GD_STMT_STAY_INSERT, GD_STMT_STAY_GET, GD_STMT_STAY_LIST, GD_STMT_STAY_UPDATE,
                              GD_STMT_STAY_DELETE},
        [GD_SECTION_CONSUMPTIONS] = {GD_STMT_CONSUMPTION_INSERT, GD_STMT_CONSUMPTION_GET, GD_STMT_CONSUMPTION_LIST,
                                     GD_STMT_CONSUMPTION_UPDATE, GD_STMT_CONSUMPTION_DELETE},
        [GD_SECTION_PREFERENCES] = {GD_STMT_PREFERENCE_INSERT, GD_STMT_PREFERENCE_GET, GD_STMT_PREFERENCE_LIST,
                                    GD_STMT_PREFERENCE_UPDATE, GD_STMT_PREFERENCE_DELETE},
        [GD_SECTION_SPECIAL_DATES] = {GD_STMT_SPECIAL_DATE_INSERT, GD_STMT_SPECIAL_DATE_GET,
                                      GD_STMT_SPECIAL_DATE_LIST, GD_STMT_SPECIAL_DATE_UPDATE,
                                      GD_STMT_SPECIAL_DATE_DELETE},
        [GD_SECTION_COMPLAINTS] = {GD_STMT_COMPLAINT_INSERT, GD_STMT_COMPLAINT_GET, GD_STMT_COMPLAINT_LIST,
                                   GD_STMT_COMPLAINT_UPDATE, GD_STMT_COMPLAINT_DELETE},
};

static enum gd_err not_found(enum gd_section s, struct gd_error *reterr)
{
        return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No %s has this id for this guest.", gd_section_noun(s));
}

/* Constraint violations that are the client's to fix, named by the field they concern. */
static enum gd_err constraint_error(struct gd_conn *c, enum gd_err e, struct gd_error *reterr)
{
        const char *name = gd_db_last_constraint(c);
        if (strcmp(name, "consumption_stay_fk") == 0 || strcmp(name, "complaint_stay_fk") == 0) {
                gd_error_add_field(reterr, "/stay_id", "must be the id of one of this guest's stays");
                return gd_error_set(reterr, GD_ERR_INVALID, "The stay does not belong to this guest.");
        }
        if (strcmp(name, "preference_one_per_key") == 0) {
                gd_error_add_field(reterr, "/key", "this guest already has a preference with this category and key");
                return gd_error_set(reterr, GD_ERR_CONFLICT, "The guest already has this preference; change it with PATCH.");
        }
        return e;
}

/* The item of a one-row result, or NOT_FOUND when it is empty. Clears r. */
static enum gd_err single_item(enum gd_section s, PGresult *r, json_t **ret_item, struct gd_error *reterr)
{
        json_t *item = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        bool empty = PQntuples(r) == 0;
        PQclear(r);
        if (empty)
                return not_found(s, reterr);
        if (!item)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        *ret_item = item;
        return GD_OK;
}

enum gd_err gd_db_section_create(struct gd_conn *c, enum gd_section s, const char *guest_id, const json_t *doc,
                                 json_t **ret_item, struct gd_error *reterr)
{
        char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {guest_id, text};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, statements[s].insert, params, &r, reterr);
        free(text);
        if (e != GD_OK)
                return constraint_error(c, e, reterr);
        if (PQntuples(r) == 0) {
                PQclear(r);
                return gd_db_guest_not_found(c, guest_id, reterr);
        }
        return single_item(s, r, ret_item, reterr);
}

enum gd_err gd_db_section_get(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                              json_t **ret_item, struct gd_error *reterr)
{
        const char *params[] = {guest_id, item_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, statements[s].get, params, &r, reterr);
        return e != GD_OK ? e : single_item(s, r, ret_item, reterr);
}

static enum gd_err guest_is_live(struct gd_conn *c, const char *guest_id, struct gd_error *reterr)
{
        const char *params[] = {guest_id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_LIVE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        PQclear(r);
        return n == 1 ? GD_OK : gd_db_guest_not_found(c, guest_id, reterr);
}

enum gd_err gd_db_section_list(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *after_key,
                               const char *after_id, int limit, json_t **ret_items, char ret_next_key[64],
                               char ret_next_id[64], struct gd_error *reterr)
{
        enum gd_err e = guest_is_live(c, guest_id, reterr);
        if (e != GD_OK)
                return e;
        char lim[16];
        gd_db_limit_plus_one(limit, lim);
        const char *params[] = {guest_id, after_key, after_id, lim};
        PGresult *r = NULL;
        e = gd_db_exec(c, statements[s].list, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, limit, gd_db_json_column, 1, 2, ret_items, ret_next_key, ret_next_id, reterr);
}

/* After a conditional write touched nothing: is the item gone, or at another version? */
static enum gd_err why_unchanged(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                                 struct gd_error *reterr)
{
        json_t *item = NULL;
        enum gd_err e = gd_db_section_get(c, s, guest_id, item_id, &item, reterr);
        json_decref(item);
        if (e != GD_OK)
                return e;
        return gd_error_set(reterr, GD_ERR_PRECONDITION, "The %s has changed since the version in If-Match.",
                            gd_section_noun(s));
}

enum gd_err gd_db_section_replace(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                                  long expected_version, const json_t *doc, json_t **ret_item,
                                  struct gd_error *reterr)
{
        char version[24];
        snprintf(version, sizeof(version), "%ld", expected_version);
        char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {guest_id, item_id, version, text};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, statements[s].update, params, &r, reterr);
        free(text);
        if (e != GD_OK)
                return constraint_error(c, e, reterr);
        if (PQntuples(r) == 0) {
                PQclear(r);
                return why_unchanged(c, s, guest_id, item_id, reterr);
        }
        return single_item(s, r, ret_item, reterr);
}

enum gd_err gd_db_section_delete(struct gd_conn *c, enum gd_section s, const char *guest_id, const char *item_id,
                                 long expected_version, struct gd_error *reterr)
{
        char version[24];
        snprintf(version, sizeof(version), "%ld", expected_version);
        const char *params[] = {guest_id, item_id, expected_version >= 0 ? version : NULL};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, statements[s].delete, params, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        PQclear(r);
        return n == 1 ? GD_OK : why_unchanged(c, s, guest_id, item_id, reterr);
}

/* The history the inference rules read (newest completed stays and dining charges), and how many
 * inferred preferences the guest has now. */
static enum gd_err infer_facts(struct gd_conn *c, const char *guest_id, struct gd_stay_fact *stays,
                               size_t *ret_n_stays, struct gd_dining_fact *dining, size_t *ret_n_dining,
                               long *ret_n_inferred, struct gd_error *reterr)
{
        char n_stays[8], n_dining[8];
        snprintf(n_stays, sizeof(n_stays), "%d", GD_INFER_STAYS);
        snprintf(n_dining, sizeof(n_dining), "%d", GD_INFER_DINING);
        const char *params[] = {guest_id, n_stays, n_dining};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_INFER_FACTS, params, &r, reterr);
        if (e != GD_OK)
                return e;
        size_t ns = 0, nd = 0;
        *ret_n_inferred = 0;
        for (int i = 0; i < PQntuples(r); i++) {
                char kind = PQgetvalue(r, i, 0)[0];
                if (kind == 's' && ns < GD_INFER_STAYS) {
                        struct gd_stay_fact *f = &stays[ns++];
                        memset(f, 0, sizeof(*f));
                        snprintf(f->room_type, sizeof(f->room_type), "%s", PQgetvalue(r, i, 1));
                        f->party = atoi(PQgetvalue(r, i, 2));
                        json_t *names = json_loads(PQgetvalue(r, i, 3), 0, NULL);
                        size_t k;
                        json_t *name;
                        json_array_foreach (names, k, name)
                                if (f->n_amenities < GD_INFER_MAX_AMENITIES && json_is_string(name))
                                        snprintf(f->amenities[f->n_amenities++], sizeof(f->amenities[0]), "%s",
                                                 json_string_value(name));
                        json_decref(names);
                } else if (kind == 'd' && nd < GD_INFER_DINING) {
                        snprintf(dining[nd++].dining_type, sizeof(dining[0].dining_type), "%s", PQgetvalue(r, i, 1));
                } else if (kind == 'p') {
                        *ret_n_inferred = strtol(PQgetvalue(r, i, 1), NULL, 10);
                }
        }
        PQclear(r);
        *ret_n_stays = ns;
        *ret_n_dining = nd;
        return GD_OK;
}

enum gd_err gd_db_infer_apply(struct gd_conn *c, const char *guest_id, const struct gd_inferred *items, size_t n,
                              struct gd_error *reterr)
{
        json_t *list = json_array();
        for (size_t i = 0; list && i < n; i++)
                json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "category", items[i].category, "key",
                                                      items[i].key, "value", items[i].value, "evidence",
                                                      items[i].evidence));
        char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
        json_decref(list);
        if (!text)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {guest_id, text};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_INFER_APPLY, params, &r, reterr);
        free(text);
        PQclear(r);
        return e;
}

enum gd_err gd_db_infer_refresh(struct gd_conn *c, const char *guest_id, struct gd_error *reterr)
{
        struct gd_stay_fact stays[GD_INFER_STAYS];
        struct gd_dining_fact dining[GD_INFER_DINING];
        struct gd_inferred found[GD_INFER_MAX_RESULTS];
        size_t n_stays = 0, n_dining = 0;
        long n_inferred = 0;
        enum gd_err e = infer_facts(c, guest_id, stays, &n_stays, dining, &n_dining, &n_inferred, reterr);
        if (e != GD_OK)
                return e;
        size_t n = gd_infer_preferences(stays, n_stays, dining, n_dining, found, GD_INFER_MAX_RESULTS);
        /* nothing inferred before or now (most guests): nothing to write */
        return n == 0 && n_inferred == 0 ? GD_OK : gd_db_infer_apply(c, guest_id, found, n, reterr);
}

enum gd_err gd_db_complaint_report(struct gd_conn *c, const char *first_day, const char *last_day, json_t **ret,
                                   struct gd_error *reterr)
{
        const char *params[] = {first_day, last_day};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_COMPLAINT_REPORT, params, &r, reterr);
        if (e != GD_OK)
                return e;
        json_t *report = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
        PQclear(r);
        if (!report)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        *ret = report;
        return GD_OK;
}
