/* SPDX-License-Identifier: MIT */
/* guestd key: manage API keys from the command line (the first admin key comes from here). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
        "Usage: guestd key create --role ROLE --name NAME [--if-none] [--database-url URL]\n"
        "       guestd key list [--database-url URL]\n"
        "       guestd key revoke ID [--database-url URL]\n"
        "\n"
        "Roles: frontdesk, marketing, ops, admin. Only a digest of a key is stored: 'create'\n"
        "prints the new key alone on the last line of stdout, and it is never shown again.\n"
        "With --if-none, 'create' does nothing when an active key of that role exists.\n"
        "\n"
        "Examples:\n"
        "  guestd key create --role frontdesk --name opera-pms\n"
        "  guestd key list\n"
        "  guestd key revoke 3f0c9a4e-5d7b-4c21-9a51-0b6f2f5c8e11\n"
        "\n"
        "Exit codes: 0 success, 1 the database is unreachable or the key is unknown, 2 bad usage.\n";

/* A refusal of the database (an unknown key) is told by its detail; an unreachable database by
 * libpq's reason. */
static int fail(const char *what, struct gd_error *err, enum gd_err e)
{
        if (e == GD_ERR_UNAVAILABLE || !err->detail[0])
                return gd_cli_db_failure(what, e, err);
        gd_cli_error("%s: %s", what, err->detail);
        return GD_EXIT_FAILURE;
}

/* Checked before connecting: bad usage is told without a database. */
static bool create_args_ok(const char *role_text, const char *name)
{
        if (gd_role_from_string(role_text) == _GD_ROLE_INVALID || !name || !name[0] || strlen(name) > 100) {
                gd_cli_error("key create needs --role (frontdesk, marketing, ops or admin) and --name (1-100 characters)");
                return false;
        }
        return true;
}

static int create(struct gd_conn *c, const char *role_text, const char *name, bool if_none)
{
        struct gd_error err = {0};
        enum gd_role role = gd_role_from_string(role_text);
        if (if_none) {
                long active = 0;
                enum gd_err e = gd_db_apikey_count_active(c, role, &active, &err);
                if (e != GD_OK)
                        return fail("key create failed", &err, e);
                if (active > 0)
                        return GD_EXIT_OK;
        }
        json_t *row = NULL;
        char key[64];
        enum gd_err e = gd_db_apikey_create(c, name, role, &row, key, &err);
        if (e != GD_OK)
                return fail("key create failed", &err, e);
        printf("created %s key '%s' (id %s); it is shown only now:\n", role_text, name,
               json_string_value(json_object_get(row, "id")));
        printf("%s\n", key);
        json_decref(row);
        return GD_EXIT_OK;
}

static int list(struct gd_conn *c)
{
        struct gd_error err = {0};
        json_t *items = NULL;
        char next_key[64], next_id[64];
        const char *after_key = NULL, *after_id = NULL;
        char key_buf[64], id_buf[64];
        printf("%-36s  %-9s  %-12s  %-27s  %s\n", "ID", "ROLE", "PREFIX", "REVOKED", "NAME");
        do {
                enum gd_err e = gd_db_apikey_list(c, after_key, after_id, 500, &items, next_key, next_id, &err);
                if (e != GD_OK)
                        return fail("key list failed", &err, e);
                size_t i;
                json_t *k;
                json_array_foreach (items, i, k) {
                        const char *revoked = json_string_value(json_object_get(k, "revoked_at"));
                        printf("%-36s  %-9s  %-12s  %-27s  %s\n", json_string_value(json_object_get(k, "id")),
                               json_string_value(json_object_get(k, "role")),
                               json_string_value(json_object_get(k, "prefix")), revoked ? revoked : "-",
                               json_string_value(json_object_get(k, "name")));
                }
                json_decref(items);
                memcpy(key_buf, next_key, sizeof(key_buf));
                memcpy(id_buf, next_id, sizeof(id_buf));
                after_key = key_buf;
                after_id = id_buf;
        } while (next_key[0]);
        return GD_EXIT_OK;
}

int gd_cmd_key(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const char *role = NULL, *name = NULL, *pos[2] = {0};
        bool if_none = false;
        const struct gd_option opts[] = {
                {"database-url", &o.database_url, NULL}, {"role", &role, NULL}, {"name", &name, NULL},
                {"if-none", NULL, &if_none},             {NULL, NULL, NULL},
        };
        int n_pos;
        struct gd_config cfg;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, pos, 2, &n_pos, usage, &exit_code))
                return exit_code;
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;
        const char *sub = n_pos > 0 ? pos[0] : "";
        bool is_create = strcmp(sub, "create") == 0, is_list = strcmp(sub, "list") == 0,
             is_revoke = strcmp(sub, "revoke") == 0;
        if (!(is_create || is_list || is_revoke) || (is_revoke != (n_pos == 2))) {
                gd_cli_error("key takes 'create', 'list' or 'revoke ID' (see guestd key --help)");
                return GD_EXIT_USAGE;
        }
        if (is_create && !create_args_ok(role, name))
                return GD_EXIT_USAGE;

        struct gd_db_config dbc = gd_cli_db_config(&cfg);
        struct gd_conn *c = NULL;
        struct gd_error err = {0};
        enum gd_err e = gd_conn_open(&dbc, true, &c, &err);
        if (e != GD_OK)
                return fail(is_create ? "key create failed" : is_list ? "key list failed" : "key revoke failed", &err, e);
        int rc;
        if (is_create) {
                rc = create(c, role, name, if_none);
        } else if (is_list) {
                rc = list(c);
        } else {
                e = gd_db_apikey_revoke(c, pos[1], &err);
                rc = e == GD_OK ? (printf("revoked %s\n", pos[1]), GD_EXIT_OK) : fail("key revoke failed", &err, e);
        }
        gd_conn_free(c);
        return rc;
}
