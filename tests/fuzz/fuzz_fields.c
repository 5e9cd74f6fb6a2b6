/* SPDX-License-Identifier: MIT */
/* Field formats: the decimal parser (strings and JSON numbers), calendar dates and every format
 * validator of src/domain/validate.c. The first byte picks the decimal limits, the rest is the text. */
#include "fuzz_common.h"
#include "guestd/date.h"
#include "guestd/guest.h"
#include "guestd/validate.h"

static void check_decimal(const json_t *v, unsigned int_digits, unsigned scale)
{
        char out[GD_DECIMAL_MAX];
        if (gd_decimal_parse(v, int_digits, scale, out) != GD_DECIMAL_OK)
                return;
        FUZZ_ASSERT(memchr(out, '\0', sizeof(out)) != NULL);
        /* canonical text reads back as itself, within the same limits */
        json_t *again = json_string(out);
        char out2[GD_DECIMAL_MAX];
        FUZZ_ASSERT(again != NULL && gd_decimal_parse(again, int_digits, scale, out2) == GD_DECIMAL_OK);
        FUZZ_ASSERT(strcmp(out, out2) == 0);
        json_decref(again);
        /* exact comparison agrees with itself around the bounds the rules use */
        static const long bounds[] = {-1000000, -1, 0, 1, 100, 99999, 1000000};
        for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
                int c = gd_decimal_compare_int(out, bounds[i]);
                FUZZ_ASSERT(c >= -1 && c <= 1);
                if (i > 0 && gd_decimal_compare_int(out, bounds[i - 1]) < 0)
                        FUZZ_ASSERT(c < 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1 || size > 4096)
                return 0;
        unsigned int_digits = data[0] & 0x0f, scale = data[0] >> 4;
        char *s = malloc(size);
        FUZZ_ASSERT(s != NULL);
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';

        /* the text as a decimal string, and as a JSON number when it reads as one */
        json_t *str = json_string(s); /* NULL unless valid UTF-8, as jansson guarantees for bodies */
        if (str)
                check_decimal(str, int_digits, scale);
        json_decref(str);
        json_t *num = json_loads(s, JSON_DECODE_ANY, NULL);
        if (json_is_number(num))
                check_decimal(num, int_digits, scale);
        json_decref(num);

        struct gd_date d;
        if (gd_date_parse(s, &d)) {
                char text[11];
                gd_date_format(&d, text);
                FUZZ_ASSERT(strcmp(text, s) == 0);
                FUZZ_ASSERT(d.day <= gd_date_days_in_month(d.year, d.month));
                struct gd_date back = gd_date_from_unix((time_t) gd_date_to_days(&d) * 86400);
                FUZZ_ASSERT(gd_date_compare(&back, &d) == 0);
                char md[6];
                FUZZ_ASSERT(gd_guest_birthday(s, md));
        }

        /* the string validators only ever see valid UTF-8 from jansson */
        if (str || size == 1) {
                (void) gd_valid_e164(s);
                (void) gd_valid_email(s);
                (void) gd_valid_country(s);
                (void) gd_valid_currency(s);
                (void) gd_valid_language(s);
                (void) gd_valid_uuid(s);
                (void) gd_valid_rfc3339(s);
                FUZZ_ASSERT(gd_utf8_length(s) <= strlen(s));
                (void) gd_has_control_chars(s, true);
                (void) gd_has_control_chars(s, false);
        }
        free(s);
        return 0;
}
