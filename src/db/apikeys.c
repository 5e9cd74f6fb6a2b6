/* SPDX-License-Identifier: MIT */
/* The API key repository: keys are generated here and only their digest is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "guestd/apikey.h"
#include "internal.h"

enum gd_err gd_db_apikey_find(struct gd_conn *c, const char *prefix, struct gd_key_info *ret,
                              struct gd_error *reterr)
{
        const char *params[] = {prefix};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_APIKEY_FIND, params, &r, reterr);
        if (e != GD_OK)
                return e;
        size_t n = 0;
        unsigned char *digest = PQntuples(r) == 1 ? PQunescapeBytea((const unsigned char *) PQgetvalue(r, 0, 3), &n)
                                                   : NULL;
        if (!digest || n != GD_SHA256_LEN) {
                PQfreemem(digest);
                PQclear(r);
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, NULL);
        }
        struct gd_key_info info = {0};
        snprintf(info.id, sizeof(info.id), "%s", PQgetvalue(r, 0, 0));
        snprintf(info.name, sizeof(info.name), "%s", PQgetvalue(r, 0, 1));
        info.role = gd_role_from_string(PQgetvalue(r, 0, 2));
        memcpy(info.digest, digest, GD_SHA256_LEN);
        PQfreemem(digest);
        PQclear(r);
        *ret = info;
        return GD_OK;
}

enum gd_err gd_db_apikey_create(struct gd_conn *c, const char *name, enum gd_role role, json_t **ret_row,
                                char ret_key[64], struct gd_error *reterr)
{
        uint8_t random[GD_APIKEY_RANDOM_BYTES];
        if (getrandom(random, sizeof(random), 0) != (ssize_t) sizeof(random))
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        char key[GD_APIKEY_MAX_LEN], prefix[GD_APIKEY_PREFIX_LEN + 1];
        gd_apikey_format(random, key);
        if (!gd_apikey_prefix(key, prefix))
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        uint8_t digest[GD_SHA256_LEN];
        gd_apikey_digest(key, digest);
        char hex[2 * GD_SHA256_LEN + 1];
        for (int i = 0; i < GD_SHA256_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", digest[i]);

        const char *params[] = {name, gd_role_to_string(role), prefix, hex};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_APIKEY_INSERT, params, &r, reterr);
        if (e != GD_OK)
                return e;
        json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n}", "id", PQgetvalue(r, 0, 0), "name",
                                PQgetvalue(r, 0, 1), "role", PQgetvalue(r, 0, 2), "prefix", PQgetvalue(r, 0, 3),
                                "created_at", PQgetvalue(r, 0, 4), "revoked_at");
        PQclear(r);
        if (!row)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        memcpy(ret_key, key, strlen(key) + 1);
        *ret_row = row;
        return GD_OK;
}

/* The public view of a key (apikey_list columns): never the digest. */
static json_t *key_from_row(const PGresult *r, int i)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", PQgetvalue(r, i, 0), "name", PQgetvalue(r, i, 1),
                         "role", PQgetvalue(r, i, 2), "prefix", PQgetvalue(r, i, 3), "created_at",
                         PQgetvalue(r, i, 4), "revoked_at",
                         PQgetisnull(r, i, 5) ? json_null() : json_string(PQgetvalue(r, i, 5)));
}

enum gd_err gd_db_apikey_list(struct gd_conn *c, const char *after_key, const char *after_id, int limit,
                              json_t **ret_items, char ret_next_key[64], char ret_next_id[64],
                              struct gd_error *reterr)
{
        return gd_db_list(c, GD_STMT_APIKEY_LIST, after_key, after_id, limit, key_from_row, 6, 0, ret_items,
                          ret_next_key, ret_next_id, reterr);
}

enum gd_err gd_db_apikey_revoke(struct gd_conn *c, const char *id, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_APIKEY_REVOKE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        PQclear(r);
        return n == 1 ? GD_OK : gd_error_set(reterr, GD_ERR_NOT_FOUND, "No active API key has this id.");
}

enum gd_err gd_db_apikey_count_active(struct gd_conn *c, enum gd_role role, long *ret, struct gd_error *reterr)
{
        const char *params[] = {gd_role_to_string(role)};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_APIKEY_COUNT_ACTIVE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        *ret = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return GD_OK;
}
