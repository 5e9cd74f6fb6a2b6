/* SPDX-License-Identifier: MIT */
/* Handle GET /healthz, /readyz, /openapi.json and /docs. */
#include <stdio.h>

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

/* Both documents change only with the binary: a client keeps its copy and revalidates it with
 * If-None-Match (304) instead of downloading it again. */
#define STATIC_CACHE_CONTROL "public, no-cache"

GD_HANDLER(gd_h_openapi)
{
        (void) req;
        (void) reterr;
        reply->raw = gd_embedded_openapi_json;
        reply->raw_len = gd_embedded_openapi_json_len;
        snprintf(reply->etag, sizeof(reply->etag), "%s", gd_embedded_openapi_etag);
        reply->cache_control = STATIC_CACHE_CONTROL;
        return GD_OK;
}

/* The API reference page, made from the OpenAPI document at build time; it renders in the browser
 * from its inline scripts alone, which its Content-Security-Policy names by hash. */
GD_HANDLER(gd_h_docs)
{
        (void) req;
        if (!gd_embedded_docs_html)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND,
                                    "This guestd was built without the API page (meson option docs); "
                                    "the OpenAPI document is at /openapi.json.");
        reply->raw = gd_embedded_docs_html;
        reply->raw_len = gd_embedded_docs_html_len;
        reply->content_type = "text/html; charset=utf-8";
        snprintf(reply->etag, sizeof(reply->etag), "%s", gd_embedded_docs_etag);
        reply->cache_control = STATIC_CACHE_CONTROL;
        reply->csp = gd_embedded_docs_csp;
        return GD_OK;
}
