/* SPDX-License-Identifier: MIT */
/* Role names as they appear in JSON and the database. */
#include <string.h>

#include "guestd/role.h"

const char *const gd_role_names[_GD_ROLE_MAX + 1] = {
        [GD_ROLE_FRONTDESK] = "frontdesk",
        [GD_ROLE_MARKETING] = "marketing",
        [GD_ROLE_OPS] = "ops",
        [GD_ROLE_ADMIN] = "admin",
        [_GD_ROLE_MAX] = NULL,
};

const char *gd_role_to_string(enum gd_role r)
{
        if ((int) r < 0 || r >= _GD_ROLE_MAX)
                return NULL;
        return gd_role_names[r];
}

enum gd_role gd_role_from_string(const char *s)
{
        for (int r = 0; s && r < _GD_ROLE_MAX; r++)
                if (strcmp(s, gd_role_names[r]) == 0)
                        return (enum gd_role) r;
        return _GD_ROLE_INVALID;
}
