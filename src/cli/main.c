/* SPDX-License-Identifier: MIT */
/* guestd: the hotel guest-profile server and its operations commands, in one binary. */
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "guestd/embedded.h"

static const char usage[] =
        "Usage: guestd [COMMAND] [OPTIONS]\n"
        "\n"
        "Keeps hotel guest profiles in PostgreSQL and serves them over HTTP.\n"
        "\n"
        "Commands:\n"
        "  serve     run the HTTP server (the default command)\n"
        "  migrate   apply the database migrations\n"
        "  key       create, list and revoke API keys\n"
        "  rescore   recompute every loyalty score (nightly: recency decays with time)\n"
        "  purge     purge the records of guests inactive for years (nightly; recoverable)\n"
        "  seed      load synthetic guests with a history (benchmarks, demos)\n"
        "  import    import guests from an NDJSON file (a PMS's first load; re-runnable)\n"
        "\n"
        "Every command takes --help. Configuration comes from GUESTD_* environment variables,\n"
        "overridden by options (see guestd serve --help).\n"
        "\n"
        "Examples:\n"
        "  guestd migrate && guestd key create --role admin --name ops --if-none && guestd serve\n"
        "  guestd purge --help\n"
        "  guestd --version\n"
        "\n"
        "Errors are one line on stderr, starting with \"guestd: \". Exit codes: 0 success, 1 failure\n"
        "(such as an unreachable database), 2 bad usage; guestd purge also exits 3 when another purge\n"
        "run holds the lock, guestd import 4 when some lines were rejected.\n";

/* The libraries' versions are those loaded at run time (a Debian security update of libpq shows
 * here without a rebuild); the schema version is the one this binary migrates to. */
static int print_version(void)
{
        int pq = PQlibVersion();
        printf("guestd %s\n", GUESTD_VERSION);
        printf("libmicrohttpd %s, jansson %s, libpq %d.%d\n", MHD_get_version(), jansson_version_str(), pq / 10000,
               pq % 10000);
        printf("schema version %d, API page /docs %s\n", gd_db_latest_version(),
               gd_embedded_docs_html ? "built in" : "not built (meson option docs)");
        return GD_EXIT_OK;
}

int main(int argc, char **argv)
{
        /* jansson's hash seed must be fixed before threads start */
        json_object_seed(0);

        const char *cmd = argc > 1 ? argv[1] : "serve";
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0)
                        return print_version();
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                fputs(usage, stdout);
                return GD_EXIT_OK;
        }
        if (strcmp(cmd, "serve") == 0 || (argc > 1 && strncmp(cmd, "--", 2) == 0) || argc == 1)
                return gd_cmd_serve(argc, argv);
        if (strcmp(cmd, "migrate") == 0)
                return gd_cmd_migrate(argc, argv);
        if (strcmp(cmd, "key") == 0)
                return gd_cmd_key(argc, argv);
        if (strcmp(cmd, "rescore") == 0)
                return gd_cmd_rescore(argc, argv);
        if (strcmp(cmd, "purge") == 0)
                return gd_cmd_purge(argc, argv);
        if (strcmp(cmd, "seed") == 0)
                return gd_cmd_seed(argc, argv);
        if (strcmp(cmd, "import") == 0)
                return gd_cmd_import(argc, argv);
        gd_cli_error("unknown command '%s' (see guestd --help)", cmd);
        return GD_EXIT_USAGE;
}
