/* SPDX-License-Identifier: MIT */
/*
 * Handle /v1/guests/{id}/{section}[/{item_id}] for every section: stays, consumptions,
 * preferences, special dates, complaints. The route's arg names the section; the rules are in
 * domain/section.c and the statements in db/sections.c, so one handler serves all five.
 */
#include <stdio.h>

#include "guestd/validate.h"
#include "handlers.h"

static enum gd_section section_of(struct gd_req *req)
{
        return (enum gd_section) req->route->arg;
}

/* Both ids must be UUIDs; anything else cannot exist. */
static enum gd_err check_ids(struct gd_req *req, bool with_item, struct gd_error *reterr)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        if (with_item && !gd_valid_uuid(req->params[1]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No %s has this id for this guest.",
                                    gd_section_noun(section_of(req)));
        return GD_OK;
}

static enum gd_err reply_item(struct gd_req *req, struct gd_reply *reply, unsigned status, json_t *item)
{
        gd_reply_set_etag(reply, gd_item_version(item));
        if (status == 201)
                snprintf(reply->location, sizeof(reply->location), "/v1/guests/%s/%s/%s", req->params[0],
                         gd_section_path(section_of(req)), json_string_value(json_object_get(item, "id")));
        reply->status = status;
        reply->body = item;
        return GD_OK;
}

/* ---- inferred preferences: the history changed, so what guestd notices may have too ---- */

static bool feeds_inference(enum gd_section s)
{
        return s == GD_SECTION_STAYS || s == GD_SECTION_CONSUMPTIONS;
}

static enum gd_err refresh_inferred(struct gd_req *req, struct gd_error *reterr)
{
        return gd_db_infer_refresh(req->db, req->params[0], reterr);
}

/* After a write to stays or charges, the inference it triggers; both are in the request's
 * transaction (http/request_tx.c), so they commit or roll back together. */
static enum gd_err then_infer(struct gd_req *req, enum gd_err e, struct gd_error *reterr)
{
        return e == GD_OK && feeds_inference(section_of(req)) ? refresh_inferred(req, reterr) : e;
}

/* ---- the write cycle's steps for a section item ---- */

static enum gd_err load_item(struct gd_req *req, json_t **ret_current, struct gd_error *reterr)
{
        return gd_db_section_get(req->db, section_of(req), req->params[0], req->params[1], ret_current, reterr);
}

static json_t *item_writable(struct gd_req *req, const json_t *current)
{
        return gd_section_normalize(section_of(req), current);
}

static json_t *item_effective_patch(struct gd_req *req, const json_t *current, const json_t *patch)
{
        return gd_section_effective_patch(section_of(req), current, patch);
}

static enum gd_err validate_item(struct gd_req *req, const json_t *merged, const json_t *current,
                                 struct gd_error *reterr)
{
        return gd_section_validate_at(section_of(req), merged, current, req->now, reterr);
}

static enum gd_err store_item(struct gd_req *req, long version, const json_t *doc, json_t **ret_item,
                              struct gd_error *reterr)
{
        return gd_db_section_replace(req->db, section_of(req), req->params[0], req->params[1], version, doc, ret_item,
                                     reterr);
}

static enum gd_err remove_item(struct gd_req *req, long version, struct gd_error *reterr)
{
        return gd_db_section_delete(req->db, section_of(req), req->params[0], req->params[1], version, reterr);
}

static const struct gd_write_ops item_ops = {
        .load = load_item,
        .writable = item_writable,
        .effective_patch = item_effective_patch,
        .validate = validate_item,
        .store = store_item,
        .remove = remove_item,
};

/* ---- handlers ---- */

GD_HANDLER(gd_h_section_create)
{
        enum gd_section s = section_of(req);
        enum gd_err e = check_ids(req, false, reterr);
        if (e == GD_OK)
                e = gd_section_validate_at(s, req->json, NULL, req->now, reterr);
        if (e != GD_OK)
                return e;
        json_t *doc = gd_section_normalize(s, req->json), *item = NULL;
        if (!doc)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        e = then_infer(req, gd_db_section_create(req->db, s, req->params[0], doc, &item, reterr), reterr);
        json_decref(doc);
        if (e != GD_OK) {
                json_decref(item);
                return e;
        }
        return reply_item(req, reply, 201, item);
}

static const char *const list_params[] = {"limit", "cursor", NULL};

GD_HANDLER(gd_h_section_list)
{
        int limit;
        struct gd_cursor cursor;
        enum gd_err e = check_ids(req, false, reterr);
        if (e == GD_OK)
                e = gd_query_check_names(req, list_params, reterr);
        if (e == GD_OK)
                e = gd_query_limit(req, &limit, reterr);
        /* stays are listed by check-in, a date; the other sections by a timestamp (db/statements.c) */
        enum gd_cursor_key key =
                section_of(req) == GD_SECTION_STAYS ? GD_CURSOR_KEY_DAYS : GD_CURSOR_KEY_MICROS;
        if (e == GD_OK)
                e = gd_query_cursor(req, gd_section_path(section_of(req)), key, &cursor, reterr);
        if (e != GD_OK)
                return e;
        json_t *items = NULL;
        char next_key[64], next_id[64];
        e = gd_db_section_list(req->db, section_of(req), req->params[0], cursor.n ? cursor.fields[1] : NULL,
                               cursor.n ? cursor.fields[2] : NULL, limit, &items, next_key, next_id, reterr);
        if (e != GD_OK)
                return e;
        reply->body = gd_page_new(items, gd_section_path(section_of(req)), next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

GD_HANDLER(gd_h_section_get)
{
        json_t *item = NULL;
        enum gd_err e = check_ids(req, true, reterr);
        if (e == GD_OK)
                e = load_item(req, &item, reterr);
        return e != GD_OK ? e : reply_item(req, reply, 200, item);
}

GD_HANDLER(gd_h_section_patch)
{
        json_t *item = NULL;
        enum gd_err e = check_ids(req, true, reterr);
        if (e == GD_OK)
                e = gd_section_check_patch(section_of(req), req->json, reterr);
        if (e == GD_OK)
                e = then_infer(req, gd_write_patch(req, &item_ops, &item, reterr), reterr);
        if (e != GD_OK) {
                json_decref(item);
                return e;
        }
        return reply_item(req, reply, 200, item);
}

GD_HANDLER(gd_h_section_delete)
{
        enum gd_err e = check_ids(req, true, reterr);
        if (e == GD_OK)
                e = then_infer(req, gd_write_delete(req, &item_ops, reterr), reterr);
        if (e == GD_OK)
                reply->status = 204;
        return e;
}
