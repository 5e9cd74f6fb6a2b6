/* SPDX-License-Identifier: MIT */
/* Handle /v1/api-keys: create (the secret is shown once), list, revoke. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/apikey.h"
#include "guestd/validate.h"
#include "handlers.h"

GD_HANDLER(gd_h_api_key_create)
{
        enum gd_err e = gd_apikey_check_create(req->json, reterr);
        if (e != GD_OK)
                return e;
        const char *name = json_string_value(json_object_get(req->json, "name"));
        enum gd_role role = gd_role_from_string(json_string_value(json_object_get(req->json, "role")));
        json_t *row = NULL;
        char key[64];
        e = gd_db_apikey_create(req->db, name, role, &row, key, reterr);
        if (e != GD_OK)
                return e;
        json_object_set_new(row, "key", json_string(key));
        memset(key, 0, sizeof(key));
        gd_reply_created(reply, "/v1/api-keys", "id", row);
        reply->secret = true;
        return GD_OK;
}

GD_HANDLER(gd_h_api_key_list)
{
        return gd_reply_list(req, reply, "k", gd_db_apikey_list, reterr);
}

GD_HANDLER(gd_h_api_key_revoke)
{
        if (!gd_valid_uuid(req->params[0]))
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No active API key has this id.");
        enum gd_err e = gd_db_apikey_revoke(req->db, req->params[0], reterr);
        if (e != GD_OK)
                return e;
        gd_auth_cache_forget(req->app->auth, req->params[0]);
        reply->status = 204;
        return GD_OK;
}
