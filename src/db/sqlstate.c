/* SPDX-License-Identifier: MIT */
/* SQLSTATE → enum gd_err, in one place. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum gd_err gd_sqlstate_classify(const char *s)
{
        /* libpq reports a lost connection with no SQLSTATE at all. */
        if (!s || strlen(s) != 5)
                return GD_ERR_UNAVAILABLE;
        if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
                return GD_ERR_RETRY;
        if (strcmp(s, "23505") == 0 || strcmp(s, "23503") == 0)
                return GD_ERR_CONFLICT;
        if (strncmp(s, "22", 2) == 0 || strcmp(s, "23514") == 0 || strcmp(s, "23502") == 0)
                return GD_ERR_INVALID;
        /* connection exceptions, shutdown, too many connections, cancelled by timeout, lock timeout */
        if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0 || strcmp(s, "53300") == 0 ||
            strcmp(s, "57014") == 0 || strcmp(s, "55P03") == 0)
                return GD_ERR_UNAVAILABLE;
        return GD_ERR_INTERNAL;
}

enum gd_err gd_sqlstate_fail(struct gd_error *reterr, const char *s, enum gd_err e)
{
        if (!reterr)
                return e;
        snprintf(reterr->sqlstate, sizeof(reterr->sqlstate), "%s", s ? s : "");
        if (e != GD_ERR_INVALID || gd_sqlstate_kind(s) != GD_DB_ERROR_DATA)
                return gd_error_set(reterr, e, NULL);
        /* Which value it was is in the database's message, which quotes it: neither goes to the
         * client. The answer keeps the shape of every 422, a field error at the body's root. */
        gd_error_add_field(reterr, "", "holds a value the server cannot store");
        return gd_error_set(reterr, e, "A value is outside the range the server stores.");
}

bool gd_db_error_unchecked(const struct gd_error *err)
{
        return err->code == GD_ERR_INVALID && gd_sqlstate_kind(err->sqlstate) == GD_DB_ERROR_DATA;
}

/* SQLSTATE → the kind counted by GET /metrics (guestd_db_errors_total), beside the mapping above
 * so that both read the same classes. */
enum gd_db_error_kind gd_sqlstate_kind(const char *s)
{
        if (!s || strlen(s) != 5)
                return GD_DB_ERROR_CONNECTION;
        if (strcmp(s, "40001") == 0)
                return GD_DB_ERROR_SERIALIZATION;
        if (strcmp(s, "40P01") == 0)
                return GD_DB_ERROR_DEADLOCK;
        if (strcmp(s, "57014") == 0 || strcmp(s, "55P03") == 0)
                return GD_DB_ERROR_TIMEOUT;
        if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0 || strcmp(s, "53300") == 0)
                return GD_DB_ERROR_CONNECTION;
        if (strncmp(s, "23", 2) == 0)
                return GD_DB_ERROR_CONSTRAINT;
        if (strncmp(s, "22", 2) == 0)
                return GD_DB_ERROR_DATA;
        return GD_DB_ERROR_OTHER;
}
