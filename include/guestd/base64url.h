/* SPDX-License-Identifier: MIT */
/* base64url without padding (RFC 4648 §5), for keys and cursors. */
#ifndef GUESTD_BASE64URL_H
#define GUESTD_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Output needs 4 * ceil(n / 3) + 1 bytes; returns the length written (without the NUL). */
size_t gd_base64url_encode(const uint8_t *in, size_t n, char *out);

/* Decodes into out (capacity cap); false on a bad character, a bad length or overflow. */
bool gd_base64url_decode(const char *in, uint8_t *out, size_t cap, size_t *ret_len);

#endif
