/* SPDX-License-Identifier: MIT */
/* Handle /v1/guests/{id}/loyalty, /v1/loyalty/config and /v1/loyalty/rescore. */
#include "guestd/loyalty.h"
#include "guestd/validate.h"
#include "handlers.h"

/* Set-based, so a batch is a few thousand guests in one statement. */
#define RESCORE_BATCH 5000

GD_HANDLER(gd_h_loyalty_get)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        return gd_db_loyalty_get(req->db, req->params[0], &reply->body, reterr);
}

GD_HANDLER(gd_h_loyalty_config_get)
{
        return gd_db_loyalty_config_get(req->db, &reply->body, reterr);
}

/* A new configuration changes every score: they are all recomputed before the answer, which
 * carries the rescore's summary. */
GD_HANDLER(gd_h_loyalty_config_put)
{
        enum gd_err e = gd_loyalty_config_validate(req->json, reterr);
        if (e != GD_OK)
                return e;
        json_t *stored = gd_loyalty_config_normalize(req->json), *config = NULL;
        if (!stored)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        e = gd_db_loyalty_config_put(req->db, stored, reterr);
        json_decref(stored);
        struct gd_rescore_summary summary;
        if (e == GD_OK)
                e = gd_db_rescore(&req->db, 1, RESCORE_BATCH, "config", &summary, reterr);
        if (e == GD_OK)
                e = gd_db_loyalty_config_get(req->db, &config, reterr);
        if (e != GD_OK)
                return e;
        json_object_set_new(config, "rescore", gd_rescore_summary_json(&summary));
        reply->body = config;
        return GD_OK;
}

GD_HANDLER(gd_h_loyalty_rescore)
{
        struct gd_rescore_summary summary;
        enum gd_err e = gd_db_rescore(&req->db, 1, RESCORE_BATCH, "rescore", &summary, reterr);
        if (e != GD_OK)
                return e;
        reply->body = gd_rescore_summary_json(&summary);
        return reply->body ? GD_OK : gd_error_set(reterr, GD_ERR_NOMEM, NULL);
}
