/* SPDX-License-Identifier: MIT */
/* The request checks of the HTTP layer that need no connection: route matching, Content-Type,
 * Content-Length, If-Match, the Authorization header and API key format, ?limit= and ?cursor=
 * (base64url and the cursor's fields). The text is what libmicrohttpd hands over: a C string. */
#include "fuzz_common.h"
#include "guestd/apikey.h"
#include "guestd/base64url.h"
#include "guestd/cursor.h"
#include "guestd/http.h"
#include "guestd/parse.h"

static void check_cursor(const char *s)
{
        static const char *const kinds[] = {"stays", "u", "q", "vip", "occasions"};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                for (int integer = 0; integer < 2; integer++) {
                        struct gd_cursor c;
                        if (!gd_parse_cursor(s, kinds[i], integer, &c)) {
                                FUZZ_ASSERT(c.n == 0);
                                continue;
                        }
                        FUZZ_ASSERT(c.n == 3);
                        /* what the server hands out again reads back the same */
                        char text[GD_CURSOR_MAX_LEN];
                        struct gd_cursor back;
                        FUZZ_ASSERT(gd_cursor_encode(&c, text));
                        FUZZ_ASSERT(gd_parse_cursor(text, kinds[i], integer, &back));
                        for (size_t f = 0; f < 3; f++)
                                FUZZ_ASSERT(strcmp(c.fields[f], back.fields[f]) == 0);
                }
        struct gd_cursor any;
        for (size_t n = 0; n <= GD_CURSOR_MAX_FIELDS + 1; n++)
                if (gd_cursor_decode(s, n, &any))
                        FUZZ_ASSERT(any.n == n);
}

static void check_base64url(const char *s)
{
        uint8_t raw[512];
        size_t len;
        if (strlen(s) > 600 || !gd_base64url_decode(s, raw, sizeof(raw), &len))
                return;
        FUZZ_ASSERT(len <= sizeof(raw));
        char text[4 * (sizeof(raw) + 2) / 3 + 1];
        uint8_t again[512];
        size_t len2;
        gd_base64url_encode(raw, len, text);
        FUZZ_ASSERT(gd_base64url_decode(text, again, sizeof(again), &len2));
        FUZZ_ASSERT(len2 == len && memcmp(raw, again, len) == 0);
}

static void check_route(const char *s)
{
        /* "METHOD path": the method as libmicrohttpd passes it, the path as the server copies it */
        const char *space = strchr(s, ' ');
        char method[16];
        size_t mlen = space ? (size_t) (space - s) : 0;
        if (!space || mlen >= sizeof(method))
                return;
        memcpy(method, s, mlen);
        method[mlen] = '\0';
        char path[512];
        snprintf(path, sizeof(path), "%s", space + 1);
        const struct gd_route *route = NULL;
        char params[GD_MAX_PATH_PARAMS][128], allow[64];
        struct gd_error *err = calloc(1, sizeof(*err));
        FUZZ_ASSERT(err != NULL);
        enum gd_err e = gd_route_match(method, path, &route, params, allow, err);
        fuzz_check_error(err);
        FUZZ_ASSERT(memchr(allow, '\0', sizeof(allow)) != NULL);
        if (e == GD_OK)
                FUZZ_ASSERT(route != NULL && strcmp(route->method, method) == 0);
        else
                FUZZ_ASSERT(e == GD_ERR_NOT_FOUND || e == GD_ERR_METHOD);
        free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        char *s = malloc(size + 1);
        FUZZ_ASSERT(s != NULL);
        memcpy(s, data, size);
        s[size] = '\0';

        check_route(s);
        (void) gd_parse_media_type_is(s, "application/json");
        (void) gd_parse_media_type_is(s, "application/merge-patch+json");
        unsigned long long cl;
        (void) gd_parse_content_length(s, &cl);
        if (gd_parse_if_match(s, 7))
                FUZZ_ASSERT(strchr(s, '*') || strstr(s, "\"7\""));
        const char *key = gd_parse_bearer(s);
        char prefix[GD_APIKEY_PREFIX_LEN + 1];
        if (key && gd_apikey_prefix(key, prefix)) {
                FUZZ_ASSERT(strlen(prefix) == GD_APIKEY_PREFIX_LEN);
                uint8_t digest[GD_SHA256_LEN];
                gd_apikey_digest(key, digest);
        }
        int limit;
        if (gd_parse_limit(s, 500, &limit))
                FUZZ_ASSERT(limit >= 1 && limit <= 500);
        check_cursor(s);
        check_base64url(s);
        free(s);
        return 0;
}
