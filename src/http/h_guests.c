/* SPDX-License-Identifier: MIT */
/* Handle /v1/guests: create, search, get, merge-patch, soft delete, restore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/erasure.h"
#include "guestd/guest.h"
#include "guestd/validate.h"
#include "handlers.h"

/* Ids of any other shape cannot exist: answer 404 before asking the database. */
static enum gd_err guest_id(struct gd_req *req, const char **ret, struct gd_error *reterr)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        *ret = req->params[0];
        return GD_OK;
}

/* Fills reply with one guest as the caller's role may see it. Takes guest. */
static enum gd_err reply_guest(struct gd_req *req, struct gd_reply *reply, unsigned status, json_t *guest)
{
        gd_reply_set_etag(reply, gd_item_version(guest));
        gd_guest_mask(guest, req->who.role);
        reply->status = status;
        reply->body = guest;
        return GD_OK;
}

GD_HANDLER(gd_h_guest_create)
{
        struct gd_date today = gd_date_from_unix(req->now);
        enum gd_err e = gd_guest_validate(req->json, &today, reterr);
        if (e != GD_OK)
                return e;
        json_t *doc = gd_guest_normalize(req->json);
        if (!doc)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        json_t *guest = NULL;
        e = gd_db_guest_create(req->db, doc, &guest, reterr);
        json_decref(doc);
        if (e != GD_OK)
                return e;
        snprintf(reply->location, sizeof(reply->location), "/v1/guests/%s",
                 json_string_value(json_object_get(guest, "id")));
        return reply_guest(req, reply, 201, guest);
}

static const char *const get_params[] = {"fields", NULL};

/* ?fields=basic answers the basic info alone, ?fields=card (the default) the whole profile card. */
GD_HANDLER(gd_h_guest_get)
{
        enum gd_err e = gd_query_check_names(req, get_params, reterr);
        if (e != GD_OK)
                return e;
        const char *fields = gd_query_get(req, "fields");
        bool basic = fields && strcmp(fields, "basic") == 0;
        if (fields && !basic && strcmp(fields, "card") != 0) {
                gd_error_add_field(reterr, "fields", "must be basic or card");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The query parameters are not valid.");
        }
        const char *id = NULL;
        char *text = NULL;
        long version = 0;
        e = guest_id(req, &id, reterr);
        if (e == GD_OK)
                e = gd_db_guest_card_text(req->db, id, basic, &text, &version, reterr);
        if (e != GD_OK)
                return e;
        if (req->who.role != GD_ROLE_MARKETING) {
                /* the full view is the database's text as it is */
                gd_reply_set_etag(reply, version);
                reply->status = 200;
                reply->json_text = text;
                return GD_OK;
        }
        json_t *guest = json_loads(text, 0, NULL);
        free(text);
        return guest ? reply_guest(req, reply, 200, guest) : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}

static enum gd_err load_guest(struct gd_req *req, json_t **ret_current, struct gd_error *reterr)
{
        const char *id = NULL;
        enum gd_err e = guest_id(req, &id, reterr);
        return e != GD_OK ? e : gd_db_guest_get(req->db, id, ret_current, reterr);
}

static json_t *guest_writable(struct gd_req *req, const json_t *current)
{
        (void) req;
        return gd_guest_normalize(current);
}

static enum gd_err validate_guest(struct gd_req *req, const json_t *merged, const json_t *current,
                                  struct gd_error *reterr)
{
        (void) current;
        struct gd_date today = gd_date_from_unix(req->now);
        return gd_guest_validate(merged, &today, reterr);
}

static enum gd_err store_guest(struct gd_req *req, long version, const json_t *doc, json_t **ret_item,
                               struct gd_error *reterr)
{
        return gd_db_guest_replace(req->db, req->params[0], version, doc, ret_item, reterr);
}

static enum gd_err soft_delete_guest(struct gd_req *req, long version, struct gd_error *reterr)
{
        return gd_db_guest_soft_delete(req->db, req->params[0], version, reterr);
}

static const struct gd_write_ops guest_ops = {
        .load = load_guest,
        .writable = guest_writable,
        .validate = validate_guest,
        .store = store_guest,
        .remove = soft_delete_guest,
};

GD_HANDLER(gd_h_guest_patch)
{
        json_t *guest = NULL;
        enum gd_err e = gd_guest_check_patch(req->json, reterr);
        if (e == GD_OK)
                e = gd_write_patch(req, &guest_ops, &guest, reterr);
        return e != GD_OK ? e : reply_guest(req, reply, 200, guest);
}

/* ?erase=true: the right to erasure, admin only; in one transaction the guest is locked, the rule
 * of domain/erasure.c judges its facts, and the guest goes for good with a tombstone left. A
 * soft-deleted guest can be erased too: its data is still held. */
static enum gd_err erase_guest(struct gd_req *req, struct gd_error *reterr)
{
        if (req->who.role != GD_ROLE_ADMIN)
                return gd_error_set(reterr, GD_ERR_FORBIDDEN, "Only an admin key may erase a guest.");
        const char *id = NULL;
        enum gd_err e = guest_id(req, &id, reterr);
        if (e == GD_OK)
                e = gd_db_begin(req->db, reterr);
        if (e != GD_OK)
                return e;
        struct gd_erasure_facts facts = {0};
        long version = 0;
        bool conditional;
        e = gd_db_erasure_facts(req->db, id, &facts, &version, reterr);
        if (e == GD_OK && !gd_if_match_allows(req, version, &conditional))
                e = gd_error_set(reterr, GD_ERR_PRECONDITION, "The guest has changed since the version in If-Match.");
        if (e == GD_OK)
                e = gd_erasure_check(&facts, reterr);
        if (e == GD_OK)
                e = gd_db_guest_erase(req->db, id, reterr);
        if (e == GD_OK)
                e = gd_db_commit(req->db, reterr);
        if (e != GD_OK)
                gd_db_rollback(req->db);
        return e;
}

static const char *const delete_params[] = {"erase", NULL};

GD_HANDLER(gd_h_guest_delete)
{
        enum gd_err e = gd_query_check_names(req, delete_params, reterr);
        if (e != GD_OK)
                return e;
        const char *erase = gd_query_get(req, "erase");
        if (erase && strcmp(erase, "true") != 0 && strcmp(erase, "false") != 0) {
                gd_error_add_field(reterr, "erase", "must be true or false");
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The query parameters are not valid.");
        }
        if (erase && strcmp(erase, "true") == 0)
                e = erase_guest(req, reterr);
        else
                e = gd_write_delete(req, &guest_ops, reterr);
        if (e == GD_OK)
                reply->status = 204;
        return e;
}

GD_HANDLER(gd_h_guest_restore)
{
        const char *id = NULL;
        json_t *guest = NULL;
        enum gd_err e = guest_id(req, &id, reterr);
        if (e == GD_OK)
                e = gd_db_guest_restore(req->db, id, &guest, reterr);
        return e != GD_OK ? e : reply_guest(req, reply, 200, guest);
}

static const char *const search_params[] = {"q", "email", "phone", "external_system", "external_id",
                                            "updated_since", "limit", "cursor", NULL};

static enum gd_err parse_search(struct gd_req *req, struct gd_guest_search *s, struct gd_cursor *cursor,
                                struct gd_error *reterr)
{
        enum gd_err e = gd_query_check_names(req, search_params, reterr);
        if (e != GD_OK)
                return e;
        s->q = gd_query_get(req, "q");
        s->email = gd_query_get(req, "email");
        s->phone = gd_query_get(req, "phone");
        s->external_system = gd_query_get(req, "external_system");
        s->external_id = gd_query_get(req, "external_id");
        s->updated_since = gd_query_get(req, "updated_since");

        if (s->q && (s->q[0] == '\0' || gd_utf8_length(s->q) > 100))
                gd_error_add_field(reterr, "q", "must be 1 to 100 characters");
        else if (s->q && gd_folds_to_nothing(s->q))
                /* the search would be the empty pattern, a prefix of every name */
                gd_error_add_field(reterr, "q", "must hold something besides white space and accents");
        if (s->email && strlen(s->email) > 254)
                gd_error_add_field(reterr, "email", "must be at most 254 characters");
        if (s->phone && strlen(s->phone) > 16)
                gd_error_add_field(reterr, "phone", "must be an E.164 number");
        if (!s->external_system != !s->external_id)
                gd_error_add_field(reterr, s->external_system ? "external_id" : "external_system",
                                   "external_system and external_id go together");
        if (s->updated_since && !gd_valid_rfc3339(s->updated_since))
                gd_error_add_field(reterr, "updated_since",
                                   "must be an RFC 3339 date-time with an offset within ±14:00");
        if (reterr->n_fields > 0)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The search parameters are not valid.");

        e = gd_query_limit(req, &s->limit, reterr);
        const char *kind = s->q ? "q" : "u";
        /* "q" pages are keyed by relevance, the others by update time in microseconds */
        if (e == GD_OK)
                e = gd_query_cursor(req, kind, s->q ? GD_CURSOR_KEY_RANK : GD_CURSOR_KEY_MICROS, cursor,
                                    reterr);
        if (e != GD_OK)
                return e;
        if (cursor->n) {
                s->after_key = cursor->fields[1];
                s->after_id = cursor->fields[2];
        }
        return GD_OK;
}

GD_HANDLER(gd_h_guest_search)
{
        struct gd_guest_search s = {0};
        struct gd_cursor cursor;
        enum gd_err e = parse_search(req, &s, &cursor, reterr);
        if (e != GD_OK)
                return e;
        json_t *items = NULL;
        char next_key[64], next_id[64];
        e = gd_db_guest_search(req->db, &s, &items, next_key, next_id, reterr);
        if (e != GD_OK)
                return e;
        size_t i;
        json_t *g;
        json_array_foreach (items, i, g)
                gd_guest_mask(g, req->who.role);
        reply->body = gd_page_new(items, s.q ? "q" : "u", next_key, next_id);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}
