/* SPDX-License-Identifier: MIT */
/* Format checks for phone numbers, e-mail addresses, ISO codes, language tags and ids. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/date.h"
#include "guestd/validate.h"

/* ISO 3166-1 alpha-2, officially assigned codes, sorted for bsearch. */
static const char countries[][3] = {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
        "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
        "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
        "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
        "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
        "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
        "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
        "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
        "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
        "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
        "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
        "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
        "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
        "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
        "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

/* ISO 4217 currencies in circulation (funds, metals and test codes left out), sorted. */
static const char currencies[][4] = {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
        "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
        "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
        "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG",
        "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
        "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
        "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO",
        "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
        "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
        "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
        "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
        "ZMW", "ZWG",
};

static int cmp_code(const void *key, const void *elem)
{
        return strcmp((const char *) key, (const char *) elem);
}

bool gd_valid_country(const char *s)
{
        if (!s || strlen(s) != 2)
                return false;
        return bsearch(s, countries, sizeof(countries) / sizeof(countries[0]), sizeof(countries[0]),
                       cmp_code) != NULL;
}

bool gd_valid_currency(const char *s)
{
        if (!s || strlen(s) != 3)
                return false;
        return bsearch(s, currencies, sizeof(currencies) / sizeof(currencies[0]), sizeof(currencies[0]),
                       cmp_code) != NULL;
}

bool gd_valid_e164(const char *s)
{
        if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
                return false;
        size_t n = 0;
        for (const char *p = s + 1; *p; p++, n++)
                if (*p < '0' || *p > '9')
                        return false;
        return n >= 8 && n <= 15;
}

bool gd_valid_email(const char *s)
{
        if (!s)
                return false;
        size_t len = strlen(s);
        const char *at = strchr(s, '@');
        if (len > 254 || !at || strchr(at + 1, '@'))
                return false;
        size_t local = (size_t) (at - s);
        const char *domain = at + 1;
        if (local < 1 || local > 64 || strlen(domain) < 3)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',')
                        return false;
        const char *dot = strrchr(domain, '.');
        /* a dot inside the domain, not at either end, and no empty labels */
        if (!dot || dot == domain || dot[1] == '\0' || domain[0] == '.' || strstr(domain, ".."))
                return false;
        return true;
}

bool gd_valid_language(const char *s)
{
        if (!s)
                return false;
        size_t len = strlen(s);
        if (len < 2 || len > 35)
                return false;
        size_t i = 0;
        while (i < len && isalpha((unsigned char) s[i]))
                i++;
        if (i < 2 || i > 3)
                return false;
        while (i < len) {
                if (s[i] != '-')
                        return false;
                size_t start = ++i;
                while (i < len && isalnum((unsigned char) s[i]))
                        i++;
                if (i - start < 1 || i - start > 8)
                        return false;
        }
        return true;
}

size_t gd_utf8_length(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

/* The code point at *p, advancing *p past it; -1 for anything RFC 3629 does not allow: a stray
 * continuation byte, a truncated or overlong sequence, a surrogate, or a value past U+10FFFF. */
static long next_code_point(const unsigned char **p)
{
        const unsigned char *s = *p;
        static const long least[4] = {0, 0x80, 0x800, 0x10000}; /* the smallest value of each length */
        size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                   : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
        if (len == 0)
                return -1;
        long cp = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return -1; /* also stops at the terminating NUL */
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if (cp < least[len - 1] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
                return -1;
        *p = s + len;
        return cp;
}

bool gd_utf8_valid(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        while (*p)
                if (next_code_point(&p) < 0)
                        return false;
        return true;
}

/* What search_fold() (sql/0001) leaves nothing of, or what matches nothing visible: white space,
 * the combining marks unaccent removes (and the rest of their blocks), zero-width characters. */
static bool folds_away(long cp)
{
        static const long ranges[][2] = {
                {0x09, 0x0D},     {0x20, 0x20},     {0x85, 0x85},     {0xA0, 0xA0},     {0x0300, 0x036F},
                {0x1680, 0x1680}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x2000, 0x200D}, {0x2028, 0x2029},
                {0x202F, 0x202F}, {0x205F, 0x2060}, {0x20D0, 0x20FF}, {0x3000, 0x3000}, {0xFE20, 0xFE2F},
                {0xFEFF, 0xFEFF},
        };
        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
                if (cp >= ranges[i][0] && cp <= ranges[i][1])
                        return true;
        return false;
}

bool gd_folds_to_nothing(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        while (*p) {
                long cp = next_code_point(&p);
                if (cp < 0 || !folds_away(cp))
                        return false;
        }
        return true;
}

bool gd_has_control_chars(const char *s, bool allow_newlines)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (allow_newlines && (c == '\n' || c == '\r' || c == '\t'))
                        continue;
                if (c < 0x20 || c == 0x7f)
                        return true;
        }
        return false;
}

bool gd_valid_uuid(const char *s)
{
        if (!s || strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                char c = s[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (c != '-')
                                return false;
                } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                        return false;
                }
        }
        return true;
}

static bool two_digits(const char *s, int lo, int hi)
{
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
                return false;
        int v = (s[0] - '0') * 10 + (s[1] - '0');
        return v >= lo && v <= hi;
}

/* No place keeps a UTC offset beyond ±14:00 (Kiribati's +14:00 is the farthest); PostgreSQL
 * refuses ±16:00 and beyond as a data error, which used to reach clients as a bare 422. */
#define MAX_OFFSET_MINUTES (14 * 60)

/* How far ahead of the server's clock a body timestamp may lie: a day absorbs clients' clock skew
 * and local dates entered in any zone, and refuses years typed wrong (9999 was stored as 10000). */
#define BODY_TIMESTAMP_AHEAD (24 * 3600)

struct stamp {
        long long seconds; /* the instant, whole seconds since 1970-01-01T00:00:00Z, offset applied */
        bool fraction;     /* a non-zero fraction of a second follows `seconds` */
        int second;        /* the seconds as written: 60 for a leap second */
        int offset;        /* minutes east of UTC, -23:59..+23:59 as RFC 3339's grammar allows */
};

/* RFC 3339's date-time grammar, any offset it allows (callers bound it). */
static bool parse_stamp(const char *s, struct stamp *ret)
{
        char day[11];
        struct gd_date d;
        if (!s || strlen(s) < 20)
                return false;
        memcpy(day, s, 10);
        day[10] = '\0';
        if (!gd_date_parse(day, &d) || (s[10] != 'T' && s[10] != 't') || !two_digits(s + 11, 0, 23) ||
            s[13] != ':' || !two_digits(s + 14, 0, 59) || s[16] != ':' || !two_digits(s + 17, 0, 60))
                return false;
        struct stamp t = {.second = (s[17] - '0') * 10 + (s[18] - '0')};
        const char *p = s + 19;
        if (*p == '.') {
                size_t n = strspn(p + 1, "0123456789");
                if (n < 1 || n > 9)
                        return false;
                t.fraction = strspn(p + 1, "0") < n;
                p += 1 + n;
        }
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
                t.offset = 0;
        } else if ((*p == '+' || *p == '-') && two_digits(p + 1, 0, 23) && p[3] == ':' &&
                   two_digits(p + 4, 0, 59) && p[6] == '\0') {
                int minutes = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 + (p[4] - '0') * 10 + (p[5] - '0');
                t.offset = *p == '-' ? -minutes : minutes;
        } else {
                return false;
        }
        int hour = (s[11] - '0') * 10 + (s[12] - '0'), minute = (s[14] - '0') * 10 + (s[15] - '0');
        /* a leap second counts as the first second of the next minute, as PostgreSQL reads it */
        t.seconds = (long long) gd_date_to_days(&d) * 86400 + hour * 3600 + minute * 60 + t.second -
                    t.offset * 60LL;
        *ret = t;
        return true;
}

bool gd_valid_rfc3339(const char *s)
{
        struct stamp t;
        return parse_stamp(s, &t) && abs(t.offset) <= MAX_OFFSET_MINUTES;
}

enum gd_body_timestamp gd_body_timestamp_check(const char *s, time_t now)
{
        struct stamp t;
        if (!parse_stamp(s, &t))
                return GD_BODY_TIMESTAMP_MALFORMED;
        if (abs(t.offset) > MAX_OFFSET_MINUTES)
                return GD_BODY_TIMESTAMP_OFFSET;
        if (t.second == 60)
                return GD_BODY_TIMESTAMP_LEAP_SECOND;
        /* the earliest instant is the first day of birth dates and section dates */
        static const struct gd_date earliest = {1900, 1, 1};
        if (t.seconds < (long long) gd_date_to_days(&earliest) * 86400)
                return GD_BODY_TIMESTAMP_TOO_EARLY;
        long long latest = (long long) now + BODY_TIMESTAMP_AHEAD;
        if (t.seconds > latest || (t.seconds == latest && t.fraction))
                return GD_BODY_TIMESTAMP_TOO_LATE;
        return GD_BODY_TIMESTAMP_OK;
}
