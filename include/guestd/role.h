/* SPDX-License-Identifier: MIT */
/* API key roles. */
#ifndef GUESTD_ROLE_H
#define GUESTD_ROLE_H

enum gd_role {
        GD_ROLE_FRONTDESK,
        GD_ROLE_MARKETING,
        GD_ROLE_OPS,
        GD_ROLE_ADMIN,
        _GD_ROLE_MAX,
        _GD_ROLE_INVALID = -1,
};

/* Bit set of roles, for route tables: GD_ROLES(FRONTDESK) | GD_ROLES(OPS). */
#define GD_ROLE_BIT(r) (1u << (r))
#define GD_ROLES_PUBLIC 0u /* a route with no roles needs no key at all */

/* NULL-terminated, indexed by enum gd_role. */
extern const char *const gd_role_names[_GD_ROLE_MAX + 1];

const char *gd_role_to_string(enum gd_role r);
enum gd_role gd_role_from_string(const char *s); /* _GD_ROLE_INVALID when unknown */

#endif
