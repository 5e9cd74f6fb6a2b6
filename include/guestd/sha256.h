/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for API key digests. */
#ifndef GUESTD_SHA256_H
#define GUESTD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GD_SHA256_LEN 32

void gd_sha256(const void *data, size_t len, uint8_t out[static GD_SHA256_LEN]);

/* Constant-time equality of two n-byte buffers. */
int gd_memeq_ct(const void *a, const void *b, size_t n);

#endif
