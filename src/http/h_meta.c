/* SPDX-License-Identifier: MIT */
/* Handle GET /healthz, /readyz and /openapi.json. */
#include "guestd/embedded.h"
#include "handlers.h"

GD_HANDLER(gd_h_healthz)
{
        (void) req;
        (void) reterr;
        reply->body = json_pack("{s:s}", "status", "ok");
        return reply->body ? GD_OK : GD_ERR_NOMEM;
}

/* Reaching this handler means the pool handed out a live, prepared connection; one round trip
 * proves the database still answers. */
GD_HANDLER(gd_h_readyz)
{
        enum gd_err e = gd_db_ping(req->db, reterr);
        if (e != GD_OK)
                return e;
        reply->body = json_pack("{s:s}", "status", "ready");
        return reply->body ? GD_OK : GD_ERR_NOMEM;
}

GD_HANDLER(gd_h_openapi)
{
        (void) req;
        (void) reterr;
        reply->raw = gd_embedded_openapi_json;
        reply->raw_len = gd_embedded_openapi_json_len;
        return GD_OK;
}
