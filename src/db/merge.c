/* SPDX-License-Identifier: MIT */
/* Duplicates, merge and undo, export and erasure: the statements of sql/0008 to and from JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The JSON text in the first column of a one-row result, or NULL. Clears r. */
static enum gd_err json_result(PGresult *r, json_t **ret, struct gd_error *reterr)
{
        json_t *v = NULL;
        if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                v = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
        bool empty = PQntuples(r) == 0;
        PQclear(r);
        if (empty)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        if (!v)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret = v;
        return GD_OK;
}

enum gd_err gd_db_guest_not_found(struct gd_conn *c, const char *id, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        struct gd_error lookup = {0};
        if (gd_db_exec(c, GD_STMT_GUEST_MERGED_INTO, params, &r, &lookup) == GD_OK) {
                if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
                        snprintf(reterr->merged_into, sizeof(reterr->merged_into), "%s", PQgetvalue(r, 0, 0));
                PQclear(r);
        }
        if (reterr->merged_into[0])
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "This guest was merged into guest %s.",
                                    reterr->merged_into);
        return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
}

enum gd_err gd_db_guest_duplicates(struct gd_conn *c, const char *id, json_t **ret_items, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_DUPLICATES, params, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        json_t *items = n ? json_array() : NULL;
        for (int i = 0; items && i < n; i++) {
                if (PQgetisnull(r, i, 1))
                        continue;
                json_t *item = json_loads(PQgetvalue(r, i, 1), 0, NULL);
                if (!item || json_array_append_new(items, item) < 0) {
                        json_decref(items);
                        items = NULL;
                }
        }
        PQclear(r);
        if (n == 0)
                return gd_db_guest_not_found(c, id, reterr);
        if (!items)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret_items = items;
        return GD_OK;
}

/* Maps the {"error": code} answers of merge_guests() and merge_undo() to problems. */
static enum gd_err merge_refused(struct gd_conn *c, const char *survivor, const char *code, struct gd_error *reterr)
{
        if (strcmp(code, "same") == 0) {
                gd_error_add_field(reterr, "/source_id", "must be another guest than the survivor");
                return gd_error_set(reterr, GD_ERR_INVALID, "A guest cannot be merged into itself.");
        }
        if (strcmp(code, "not_found") == 0 && survivor)
                return gd_db_guest_not_found(c, survivor, reterr);
        if (strcmp(code, "source_not_found") == 0) {
                gd_error_add_field(reterr, "/source_id", "no live guest has this id");
                return gd_error_set(reterr, GD_ERR_INVALID, "The source guest does not exist or is deleted.");
        }
        if (strcmp(code, "not_found") == 0)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No merge has this id.");
        if (strcmp(code, "already_undone") == 0)
                return gd_error_set(reterr, GD_ERR_CONFLICT, "This merge was undone already.");
        if (strcmp(code, "survivor_gone") == 0)
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "The surviving guest is deleted or merged since; restore it or undo that first.");
        if (strcmp(code, "source_gone") == 0)
                return gd_error_set(reterr, GD_ERR_CONFLICT, "The merged guest no longer exists (erased or purged).");
        if (strcmp(code, "linked") == 0)
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "A moved charge or complaint was linked to a stay of the other guest since.");
        if (strcmp(code, "clash") == 0)
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "A moved preference now has the category and key of one the merged guest kept.");
        return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
}

/* Runs a merge statement; a refusal becomes a problem, an answer is returned. Clears nothing. */
static enum gd_err run_merge_stmt(struct gd_conn *c, enum gd_stmt stmt, const char *const *params,
                                  const char *survivor, json_t **ret, struct gd_error *reterr)
{
        PGresult *r = NULL;
        json_t *v = NULL;
        enum gd_err e = gd_db_exec(c, stmt, params, &r, reterr);
        if (e == GD_OK)
                e = json_result(r, &v, reterr);
        if (e != GD_OK)
                return e;
        const char *code = json_string_value(json_object_get(v, "error"));
        if (code) {
                e = merge_refused(c, survivor, code, reterr);
                json_decref(v);
                return e;
        }
        *ret = v;
        return GD_OK;
}

enum gd_err gd_db_merge(struct gd_conn *c, const char *survivor, const char *source, bool dry_run, const char *actor,
                        json_t **ret, long *ret_version_before, struct gd_error *reterr)
{
        const char *params[] = {survivor, source, dry_run ? "true" : "false", actor};
        json_t *v = NULL;
        enum gd_err e = run_merge_stmt(c, GD_STMT_MERGE, params, survivor, &v, reterr);
        if (e != GD_OK)
                return e;
        *ret_version_before = (long) json_integer_value(json_object_get(v, "version_before"));
        json_object_del(v, "version_before");
        *ret = v;
        return GD_OK;
}

enum gd_err gd_db_merge_undo(struct gd_conn *c, const char *merge_id, const char *actor, json_t **ret,
                             struct gd_error *reterr)
{
        const char *params[] = {merge_id, actor};
        return run_merge_stmt(c, GD_STMT_MERGE_UNDO, params, NULL, ret, reterr);
}

enum gd_err gd_db_guest_export(struct gd_conn *c, const char *id, json_t **ret, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_EXPORT, params, &r, reterr);
        return e != GD_OK ? e : json_result(r, ret, reterr);
}

enum gd_err gd_db_erasure_facts(struct gd_conn *c, const char *id, struct gd_erasure_facts *ret, long *ret_version,
                                struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_ERASURE_FACTS, params, &r, reterr);
        if (e != GD_OK)
                return e;
        if (PQntuples(r) != 1) {
                PQclear(r);
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        }
        *ret_version = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        ret->legal_hold = PQgetvalue(r, 0, 1)[0] == 't';
        ret->open_complaints = strtol(PQgetvalue(r, 0, 2), NULL, 10);
        ret->unpaid_charges = strtol(PQgetvalue(r, 0, 3), NULL, 10);
        ret->in_house_stays = strtol(PQgetvalue(r, 0, 4), NULL, 10);
        PQclear(r);
        return GD_OK;
}

enum gd_err gd_db_guest_erase(struct gd_conn *c, const char *id, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_ERASE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        PQclear(r);
        return GD_OK;
}
