/* SPDX-License-Identifier: MIT */
/* Proleptic Gregorian calendar arithmetic on plain dates. */
#include <stdio.h>
#include <string.h>

#include "guestd/date.h"

bool gd_date_is_leap_year(int year)
{
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int gd_date_days_in_month(int year, int month)
{
        static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (month < 1 || month > 12)
                return 0;
        if (month == 2 && gd_date_is_leap_year(year))
                return 29;
        return days[month - 1];
}

static int digits(const char *s, size_t n)
{
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

bool gd_date_parse(const char *s, struct gd_date *ret)
{
        if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
        if (y < 1 || m < 1 || m > 12 || d < 1 || d > gd_date_days_in_month(y, m))
                return false;
        *ret = (struct gd_date){.year = y, .month = m, .day = d};
        return true;
}

void gd_date_format(const struct gd_date *d, char out[static 11])
{
        snprintf(out, 11, "%04u-%02u-%02u", (unsigned) d->year % 10000u, (unsigned) d->month % 100u,
                 (unsigned) d->day % 100u);
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms (public domain formulas). */
long gd_date_to_days(const struct gd_date *d)
{
        long y = d->year - (d->month <= 2);
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long mp = (d->month + 9) % 12;
        long doy = (153 * mp + 2) / 5 + d->day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

struct gd_date gd_date_from_unix(time_t t)
{
        long days = (long) (t / 86400);
        if (t % 86400 < 0)
                days--;
        days += 719468;
        long era = (days >= 0 ? days : days - 146096) / 146097;
        long doe = days - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        long y = yoe + era * 400 + (m <= 2);
        return (struct gd_date){.year = (int) y, .month = (int) m, .day = (int) d};
}

int gd_date_compare(const struct gd_date *a, const struct gd_date *b)
{
        if (a->year != b->year)
                return a->year < b->year ? -1 : 1;
        if (a->month != b->month)
                return a->month < b->month ? -1 : 1;
        if (a->day != b->day)
                return a->day < b->day ? -1 : 1;
        return 0;
}
