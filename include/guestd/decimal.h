/* SPDX-License-Identifier: MIT */
/* Exact decimals for money and rates: JSON numbers or strings in, canonical decimal text out (pure). */
#ifndef GUESTD_DECIMAL_H
#define GUESTD_DECIMAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "guestd/error.h"

#define GD_DECIMAL_MAX 40

enum gd_decimal_status {
        GD_DECIMAL_OK,
        GD_DECIMAL_NOT_A_NUMBER,   /* not a number, nor a string holding one */
        GD_DECIMAL_TOO_MANY_DIGITS, /* more integer digits than allowed */
        GD_DECIMAL_TOO_PRECISE,    /* more decimals than allowed (never rounded) */
};

/*
 * Reads v as a decimal with at most max_int_digits integer digits and max_scale decimals.
 * Strings must be [-]digits[.digits] and are kept as written ("245.50" stays "245.50"). A JSON
 * number reaches us as a double, so it is taken as the shortest decimal with at most max_scale
 * decimals that is exactly that double: the number the client wrote whenever it has 15
 * significant digits or fewer (a longer one may read as a nearby shorter value: exact amounts
 * that long must be sent as strings). On success writes the decimal text ("245.5", "-3").
 */
enum gd_decimal_status gd_decimal_parse(const json_t *v, unsigned max_int_digits, unsigned max_scale,
                                        char out[static GD_DECIMAL_MAX]);

/*
 * The JSON parser keeps a number with a fraction or exponent only as a double, so a literal with
 * more than 15 significant digits cannot reach us exactly. Given the body text and its parse,
 * adds a field error (with the number's JSON pointer) for each such literal, so that it is
 * refused rather than rounded. Returns how many it found.
 */
size_t gd_json_check_number_precision(const char *text, size_t len, const json_t *root, struct gd_error *reterr);

/* Compares canonical decimal text with a bound, exactly (no floating point): <0, 0, >0. */
int gd_decimal_compare_int(const char *canonical, long bound);

#endif
