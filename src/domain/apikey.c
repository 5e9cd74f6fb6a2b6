/* SPDX-License-Identifier: MIT */
/* API key text format and digest. */
#include <stdio.h>
#include <string.h>

#include "guestd/apikey.h"
#include "guestd/base64url.h"
#include "guestd/role.h"
#include "guestd/rules.h"

#define KEY_TAG "gdk_"
#define SECRET_BYTES 32
#define SECRET_CHARS 43 /* base64url of 32 bytes, unpadded */

void gd_apikey_format(const uint8_t random[static GD_APIKEY_RANDOM_BYTES], char out[static GD_APIKEY_MAX_LEN])
{
        char *p = out;
        p += sprintf(p, KEY_TAG);
        for (int i = 0; i < GD_APIKEY_PREFIX_LEN / 2; i++)
                p += sprintf(p, "%02x", random[i]);
        *p++ = '_';
        gd_base64url_encode(random + GD_APIKEY_PREFIX_LEN / 2, SECRET_BYTES, p);
}

bool gd_apikey_prefix(const char *key, char out[static GD_APIKEY_PREFIX_LEN + 1])
{
        const size_t tag = sizeof(KEY_TAG) - 1;
        if (!key || strlen(key) != tag + GD_APIKEY_PREFIX_LEN + 1 + SECRET_CHARS ||
            strncmp(key, KEY_TAG, tag) != 0 || key[tag + GD_APIKEY_PREFIX_LEN] != '_')
                return false;
        for (size_t i = 0; i < GD_APIKEY_PREFIX_LEN; i++) {
                char c = key[tag + i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        }
        uint8_t secret[SECRET_BYTES + 2];
        size_t n;
        if (!gd_base64url_decode(key + tag + GD_APIKEY_PREFIX_LEN + 1, secret, sizeof(secret), &n) ||
            n != SECRET_BYTES)
                return false;
        memcpy(out, key + tag, GD_APIKEY_PREFIX_LEN);
        out[GD_APIKEY_PREFIX_LEN] = '\0';
        return true;
}

void gd_apikey_digest(const char *key, uint8_t out[static GD_SHA256_LEN])
{
        gd_sha256(key, strlen(key), out);
}

static const struct gd_rule create_rules[] = {
        {.name = "name", .kind = GD_RULE_TEXT, .min = 1, .max = 100, .required = true},
        {.name = "role", .kind = GD_RULE_ENUM, .required = true, .values = gd_role_names},
        {0},
};

static const char *const key_server_owned[] = {"id", "prefix", "key", "created_at", "revoked_at", NULL};

enum gd_err gd_apikey_check_create(const json_t *body, struct gd_error *reterr)
{
        if (!json_is_object(body)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The request body must be a JSON object.");
        }
        struct gd_rules_ctx ctx = {.read_only = key_server_owned};
        size_t n = gd_rules_check(body, create_rules, "", &ctx, reterr);
        return n ? gd_error_set(reterr, GD_ERR_INVALID, "The API key request has %zu invalid field(s).", n) : GD_OK;
}
