/* SPDX-License-Identifier: MIT */
/* PUT /v1/loyalty/config bodies, POST /v1/api-keys and POST /v1/purge-runs bodies: the first byte
 * picks which, the rest is the body. A valid loyalty configuration is normalized too. */
#include "fuzz_common.h"
#include "guestd/apikey.h"
#include "guestd/loyalty.h"
#include "guestd/purge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        unsigned which = data[0] % 3;
        json_t *doc = fuzz_parse_body(data + 1, size - 1);
        if (!doc)
                return 0;
        struct gd_error *err = calloc(1, sizeof(*err));
        FUZZ_ASSERT(err != NULL);
        enum gd_err e;
        if (which == 0) {
                e = gd_loyalty_config_validate(doc, err);
                if (e == GD_OK) {
                        json_t *stored = gd_loyalty_config_normalize(doc);
                        FUZZ_ASSERT(stored != NULL);
                        char *text = json_dumps(stored, JSON_COMPACT);
                        FUZZ_ASSERT(text != NULL);
                        free(text);
                        json_decref(stored);
                }
        } else if (which == 1) {
                e = gd_apikey_check_create(doc, err);
        } else {
                struct gd_purge_params p;
                e = gd_purge_params_from_json(doc, &p, err);
        }
        fuzz_check_error(err);
        FUZZ_ASSERT(e == GD_OK || e == GD_ERR_INVALID);
        free(err);
        json_decref(doc);
        return 0;
}
