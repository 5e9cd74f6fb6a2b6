/* SPDX-License-Identifier: MIT */
/*
 * Bearer-key authentication and the role check of every route.
 * Verified keys are cached for a few seconds, so the hot path costs no database round trip;
 * the presented key is still hashed and compared in constant time on every request.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guestd/apikey.h"
#include "guestd/http.h"
#include "guestd/parse.h"

#define CACHE_SLOTS 256
#define CACHE_TTL_S 5 /* bounds how long another process may still accept a revoked key */

struct cache_slot {
        char prefix[GD_APIKEY_PREFIX_LEN + 1];
        struct gd_key_info info;
        time_t expires;
};

struct gd_auth_cache {
        pthread_mutex_t lock;
        struct cache_slot slots[CACHE_SLOTS];
};

struct gd_auth_cache *gd_auth_cache_new(void)
{
        struct gd_auth_cache *c = calloc(1, sizeof(*c));
        if (c)
                pthread_mutex_init(&c->lock, NULL);
        return c;
}

void gd_auth_cache_free(struct gd_auth_cache *c)
{
        if (!c)
                return;
        pthread_mutex_destroy(&c->lock);
        free(c);
}

static struct cache_slot *slot_for(struct gd_auth_cache *c, const char *prefix)
{
        /* FNV-1a over the prefix, which is itself random */
        unsigned h = 2166136261u;
        for (const char *p = prefix; *p; p++)
                h = (h ^ (unsigned char) *p) * 16777619u;
        return &c->slots[h % CACHE_SLOTS];
}

static bool cache_get(struct gd_auth_cache *c, const char *prefix, time_t now, struct gd_key_info *ret)
{
        bool hit = false;
        pthread_mutex_lock(&c->lock);
        struct cache_slot *s = slot_for(c, prefix);
        if (s->expires > now && strcmp(s->prefix, prefix) == 0) {
                *ret = s->info;
                hit = true;
        }
        pthread_mutex_unlock(&c->lock);
        return hit;
}

static void cache_put(struct gd_auth_cache *c, const char *prefix, time_t now, const struct gd_key_info *info)
{
        pthread_mutex_lock(&c->lock);
        struct cache_slot *s = slot_for(c, prefix);
        memcpy(s->prefix, prefix, sizeof(s->prefix));
        s->info = *info;
        s->expires = now + CACHE_TTL_S;
        pthread_mutex_unlock(&c->lock);
}

void gd_auth_cache_forget(struct gd_auth_cache *c, const char *key_id)
{
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < CACHE_SLOTS; i++)
                if (strcmp(c->slots[i].info.id, key_id) == 0)
                        c->slots[i].expires = 0;
        pthread_mutex_unlock(&c->lock);
}

/* Every failure gets the same answer, so a caller learns nothing about which part was wrong. */
static enum gd_err unauthorized(struct gd_error *reterr)
{
        return gd_error_set(reterr, GD_ERR_UNAUTHORIZED, "A valid API key is required: Authorization: Bearer <key>.");
}

static enum gd_err lookup(struct gd_req *req, const char *prefix, struct gd_key_info *ret, struct gd_error *reterr)
{
        if (cache_get(req->app->auth, prefix, req->now, ret))
                return GD_OK;
        struct gd_conn *c = NULL;
        enum gd_err e = gd_pool_acquire(req->app->pool, &c, reterr);
        if (e != GD_OK)
                return e;
        e = gd_db_apikey_find(c, prefix, ret, reterr);
        gd_pool_release(req->app->pool, c);
        if (e == GD_OK)
                cache_put(req->app->auth, prefix, req->now, ret);
        return e;
}

enum gd_err gd_auth_check(struct gd_req *req, struct gd_error *reterr)
{
        if (req->route->roles == GD_ROLES_PUBLIC)
                return GD_OK;

        const char *h = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        char prefix[GD_APIKEY_PREFIX_LEN + 1];
        const char *key = gd_parse_bearer(h);
        if (!key || !gd_apikey_prefix(key, prefix))
                return unauthorized(reterr);

        struct gd_key_info info;
        enum gd_err e = lookup(req, prefix, &info, reterr);
        if (e == GD_ERR_NOT_FOUND)
                return unauthorized(reterr);
        if (e != GD_OK)
                return e;
        uint8_t digest[GD_SHA256_LEN];
        gd_apikey_digest(key, digest);
        if (!gd_memeq_ct(digest, info.digest, GD_SHA256_LEN) || info.role == _GD_ROLE_INVALID)
                return unauthorized(reterr);

        req->who.authenticated = true;
        req->who.role = info.role;
        memcpy(req->who.key_id, info.id, sizeof(req->who.key_id));
        memcpy(req->who.key_name, info.name, sizeof(req->who.key_name));

        if (info.role != GD_ROLE_ADMIN && !(req->route->roles & GD_ROLE_BIT(info.role)))
                return gd_error_set(reterr, GD_ERR_FORBIDDEN, "The %s role may not do this.",
                                    gd_role_to_string(info.role));
        return GD_OK;
}
