/* SPDX-License-Identifier: MIT */
/* base64url encoding and strict decoding. */
#include <string.h>

#include "guestd/base64url.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t gd_base64url_encode(const uint8_t *in, size_t n, char *out)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                out[o++] = alphabet[(v >> 18) & 63];
                out[o++] = alphabet[(v >> 12) & 63];
                if (i + 1 < n)
                        out[o++] = alphabet[(v >> 6) & 63];
                if (i + 2 < n)
                        out[o++] = alphabet[v & 63];
        }
        out[o] = '\0';
        return o;
}

static int value_of(char c)
{
        const char *p = c ? strchr(alphabet, c) : NULL;
        return p ? (int) (p - alphabet) : -1;
}

bool gd_base64url_decode(const char *in, uint8_t *out, size_t cap, size_t *ret_len)
{
        size_t n = strlen(in), o = 0;
        if (n % 4 == 1)
                return false;
        for (size_t i = 0; i < n; i += 4) {
                size_t chunk = n - i < 4 ? n - i : 4;
                uint32_t v = 0;
                for (size_t j = 0; j < 4; j++) {
                        int d = j < chunk ? value_of(in[i + j]) : 0;
                        if (d < 0)
                                return false;
                        v = v << 6 | (uint32_t) d;
                }
                size_t bytes = chunk - 1;
                if (o + bytes > cap)
                        return false;
                for (size_t j = 0; j < bytes; j++)
                        out[o++] = (uint8_t) (v >> (16 - 8 * j));
        }
        *ret_len = o;
        return true;
}
