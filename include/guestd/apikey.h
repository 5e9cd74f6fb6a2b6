/* SPDX-License-Identifier: MIT */
/* API key format: "gdk_<prefix>_<secret>", prefix = 12 hex (lookup), secret = 43 base64url (256 bits). */
#ifndef GUESTD_APIKEY_H
#define GUESTD_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "guestd/error.h"
#include "guestd/sha256.h"

#define GD_APIKEY_PREFIX_LEN 12
#define GD_APIKEY_RANDOM_BYTES 38 /* 6 for the prefix + 32 for the secret */
#define GD_APIKEY_MAX_LEN 64

/* Builds a key from caller-supplied random bytes (pure: tests pass fixed bytes). */
void gd_apikey_format(const uint8_t random[static GD_APIKEY_RANDOM_BYTES], char out[static GD_APIKEY_MAX_LEN]);

/* Extracts the lookup prefix from a presented key; false if the key is not well-formed. */
bool gd_apikey_prefix(const char *key, char out[static GD_APIKEY_PREFIX_LEN + 1]);

/* Digest stored in the database and compared in constant time. */
void gd_apikey_digest(const char *key, uint8_t out[static GD_SHA256_LEN]);

/* Checks a POST /v1/api-keys body: {"name": 1..100 characters, "role": a role name}. */
enum gd_err gd_apikey_check_create(const json_t *body, struct gd_error *reterr);

#endif
