/* SPDX-License-Identifier: MIT */
/* Calendar dates without time zones: parsing, validation and day arithmetic (pure). */
#ifndef GUESTD_DATE_H
#define GUESTD_DATE_H

#include <stdbool.h>
#include <time.h>

struct gd_date {
        int year;
        int month; /* 1..12 */
        int day;   /* 1..31 */
};

bool gd_date_is_leap_year(int year);
int gd_date_days_in_month(int year, int month);

/* Strict "YYYY-MM-DD" with a real calendar day; false on anything else. */
bool gd_date_parse(const char *s, struct gd_date *ret);

/* Writes "YYYY-MM-DD" (11 bytes with the NUL). */
void gd_date_format(const struct gd_date *d, char out[static 11]);

/* The UTC calendar day of a Unix time. */
struct gd_date gd_date_from_unix(time_t t);

/* Days since 1970-01-01 (negative before). */
long gd_date_to_days(const struct gd_date *d);

/* <0, 0, >0 like strcmp. */
int gd_date_compare(const struct gd_date *a, const struct gd_date *b);

#endif
