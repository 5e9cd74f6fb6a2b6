/* SPDX-License-Identifier: MIT */
/* Conditional writes, the same for guests and every dossier section. */
#include "guestd/guest.h"
#include "guestd/http.h"

/* A write that lost a race with another one (no If-Match given) is simply redone. */
#define MAX_WRITE_ATTEMPTS 3

long gd_item_version(const json_t *item)
{
        return (long) json_integer_value(json_object_get(item, "version"));
}

static enum gd_err precondition_failed(struct gd_error *reterr)
{
        return gd_error_set(reterr, GD_ERR_PRECONDITION, "The resource has changed since the version in If-Match.");
}

static enum gd_err patch_once(struct gd_req *req, const struct gd_write_ops *ops, json_t **ret_item,
                              bool *ret_conditional, struct gd_error *reterr)
{
        json_t *current = NULL, *stored = NULL, *patch = NULL, *merged = NULL, *doc = NULL;
        enum gd_err e = ops->load(req, &current, reterr);
        if (e != GD_OK)
                return e;
        long version = gd_item_version(current);
        if (!gd_if_match_allows(req, version, ret_conditional)) {
                e = precondition_failed(reterr);
                goto out;
        }
        stored = ops->writable(req, current);
        patch = ops->effective_patch ? ops->effective_patch(req, current, req->json) : json_incref(req->json);
        merged = stored && patch ? gd_json_merge_patch(stored, patch) : NULL;
        if (!merged) {
                e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                goto out;
        }
        e = ops->validate(req, merged, current, reterr);
        if (e != GD_OK)
                goto out;
        doc = ops->writable(req, merged);
        if (!doc)
                e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        else if (json_equal(doc, stored))
                *ret_item = json_incref(current); /* nothing changes: no write, the version stays */
        else
                e = ops->store(req, version, doc, ret_item, reterr);
out:
        json_decref(doc);
        json_decref(merged);
        json_decref(patch);
        json_decref(stored);
        json_decref(current);
        return e;
}

enum gd_err gd_write_patch(struct gd_req *req, const struct gd_write_ops *ops, json_t **ret_item,
                           struct gd_error *reterr)
{
        bool conditional = false;
        enum gd_err e = GD_OK;
        for (int attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
                e = patch_once(req, ops, ret_item, &conditional, reterr);
                if (e != GD_ERR_PRECONDITION || conditional)
                        return e;
        }
        return gd_error_set(reterr, GD_ERR_CONFLICT, "The resource is being changed by someone else; retry.");
}

enum gd_err gd_write_delete(struct gd_req *req, const struct gd_write_ops *ops, struct gd_error *reterr)
{
        json_t *current = NULL;
        enum gd_err e = ops->load(req, &current, reterr);
        if (e != GD_OK)
                return e;
        bool conditional;
        long version = gd_item_version(current);
        json_decref(current);
        if (!gd_if_match_allows(req, version, &conditional))
                return precondition_failed(reterr);
        return ops->remove(req, conditional ? version : -1, reterr);
}
