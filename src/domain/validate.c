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

bool gd_valid_rfc3339(const char *s)
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
        const char *p = s + 19;
        if (*p == '.') {
                size_t n = strspn(p + 1, "0123456789");
                if (n < 1 || n > 9)
                        return false;
                p += 1 + n;
        }
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
                return true;
        return (*p == '+' || *p == '-') && two_digits(p + 1, 0, 23) && p[3] == ':' && two_digits(p + 4, 0, 59) &&
               p[6] == '\0';
}
