/* SPDX-License-Identifier: MIT */
/* Handle /v1/purge-runs: run a purge (synchronously, as `guestd purge` does), read and list runs. */
#include "guestd/purge.h"
#include "guestd/validate.h"
#include "handlers.h"

/* The run's log lines carry the request they belong to. */
static void log_line(void *ctx, enum gd_log_level level, const char *msg, json_t *fields_new)
{
        struct gd_req *req = ctx;
        json_object_set_new(fields_new, "request_id", json_string(req->request_id));
        gd_log(req->app, level, msg, fields_new);
}

/* The run holds a session of its own for as long as it takes, not one of the request pool's (the
 * route asks for no pooled connection). */
GD_HANDLER(gd_h_purge_run_create)
{
        struct gd_purge_params params;
        enum gd_err e = gd_purge_params_from_json(req->json, &params, reterr);
        if (e != GD_OK)
                return e;
        struct gd_purge_log log = {log_line, req};
        json_t *run = NULL;
        e = gd_db_purge(&req->app->db, &params, req->who.key_name, &log, &run, reterr);
        if (e != GD_OK)
                return e;
        gd_reply_created(reply, "/v1/purge-runs", "run_id", run);
        return GD_OK;
}

GD_HANDLER(gd_h_purge_run_get)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No purge run has this id.");
        return gd_db_purge_run_get(req->db, req->params[0], &reply->body, reterr);
}

/* Newest first. */
GD_HANDLER(gd_h_purge_run_list)
{
        return gd_reply_list(req, reply, "p", gd_db_purge_run_list, reterr);
}
