/* SPDX-License-Identifier: MIT */
/* Handle duplicates, merge and undo, and the data-subject export of a guest. */
#include <string.h>

#include "guestd/duplicates.h"
#include "guestd/validate.h"
#include "handlers.h"

/* Ids of any other shape cannot exist: answer 404 before asking the database. */
static enum gd_err path_id(struct gd_req *req, const char *what, struct gd_error *reterr)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No %s has this id.", what);
        return GD_OK;
}

GD_HANDLER(gd_h_guest_duplicates)
{
        json_t *items = NULL;
        enum gd_err e = path_id(req, "guest", reterr);
        if (e == GD_OK)
                e = gd_db_guest_duplicates(req->db, req->params[0], &items, reterr);
        if (e != GD_OK)
                return e;
        if (gd_dup_rank(items, GD_DUP_MAX_CANDIDATES) < 0) {
                json_decref(items);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        reply->body = json_pack("{s:o}", "items", items);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

/* One transaction: the merge function locks both guests, and an If-Match that does not match the
 * survivor's version before the merge rolls everything back. A dry run is rolled back too. */
GD_HANDLER(gd_h_guest_merge)
{
        const char *source = NULL;
        bool dry_run = false;
        enum gd_err e = path_id(req, "guest", reterr);
        if (e == GD_OK)
                e = gd_merge_request_parse(req->json, &source, &dry_run, reterr);
        if (e == GD_OK)
                e = gd_db_begin(req->db, reterr);
        if (e != GD_OK)
                return e;
        json_t *result = NULL;
        long version_before = 0;
        bool conditional;
        e = gd_db_merge(req->db, req->params[0], source, dry_run, req->who.key_name, &result, &version_before, reterr);
        if (e == GD_OK && !gd_if_match_allows(req, version_before, &conditional))
                e = gd_error_set(reterr, GD_ERR_PRECONDITION,
                                 "The guest has changed since the version in If-Match.");
        /* the survivor's history grew: what guestd infers from it may have changed too */
        if (e == GD_OK && !dry_run)
                e = gd_db_infer_refresh(req->db, req->params[0], reterr);
        if (e == GD_OK && !dry_run)
                e = gd_db_commit(req->db, reterr);
        if (e != GD_OK || dry_run)
                gd_db_rollback(req->db);
        if (e != GD_OK) {
                json_decref(result);
                return e;
        }
        reply->body = result;
        return GD_OK;
}

/* One transaction: the undo, then the inferred preferences of both guests from their history. */
GD_HANDLER(gd_h_merge_undo)
{
        json_t *result = NULL;
        enum gd_err e = path_id(req, "merge", reterr);
        if (e == GD_OK)
                e = gd_db_begin(req->db, reterr);
        if (e != GD_OK)
                return e;
        e = gd_db_merge_undo(req->db, req->params[0], req->who.key_name, &result, reterr);
        const char *const guests[] = {"survivor_id", "source_id"};
        for (int i = 0; e == GD_OK && i < 2; i++)
                e = gd_db_infer_refresh(req->db, json_string_value(json_object_get(result, guests[i])), reterr);
        if (e == GD_OK)
                e = gd_db_commit(req->db, reterr);
        if (e != GD_OK) {
                gd_db_rollback(req->db);
                json_decref(result);
                return e;
        }
        reply->body = result;
        return GD_OK;
}

GD_HANDLER(gd_h_guest_export)
{
        json_t *doc = NULL;
        enum gd_err e = path_id(req, "guest", reterr);
        if (e == GD_OK)
                e = gd_db_guest_export(req->db, req->params[0], &doc, reterr);
        if (e == GD_OK)
                reply->body = doc;
        return e;
}
