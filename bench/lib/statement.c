/* SPDX-License-Identifier: MIT */
/*
 * Prints one of guestd's prepared statements (src/db/statements.c) by name, so that a pgbench
 * baseline runs the very SQL guestd runs instead of a copy that could drift from it.
 * Built and run by bench/run:  cc ... bench/lib/statement.c src/db/statements.c
 * usage: statement NAME   (exit 1 if there is no statement of that name)
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: statement NAME\n");
                return 2;
        }
        for (int i = 0; i < _GD_STMT_MAX; i++)
                if (gd_stmts[i].name && strcmp(gd_stmts[i].name, argv[1]) == 0) {
                        puts(gd_stmts[i].sql);
                        return 0;
                }
        fprintf(stderr, "statement: no statement named %s\n", argv[1]);
        return 1;
}
