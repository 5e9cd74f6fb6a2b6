/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: JSON parsing, field-error lookups, $GD_TEST_DATA cases, main(). */
#ifndef GD_CHECK_H
#define GD_CHECK_H

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/error.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- JSON and strings ---- */

/* s decoded with jansson's flags; the test fails if it does not parse. */
static inline json_t *parse_flags(const char *s, size_t flags)
{
        json_error_t jerr;
        json_t *j = json_loads(s, flags, &jerr);

        ck_assert_msg(j != NULL, "test JSON does not parse (%s): %s", jerr.text, s);
        return j;
}

/* s decoded as the server does: duplicate members refused, any value at the root. */
static inline json_t *parse(const char *s)
{
        return parse_flags(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY);
}

/* Malloc'd string: `unit` repeated n times. */
static inline char *repeat(const char *unit, size_t n)
{
        size_t u = strlen(unit), i;
        char *s = malloc(u * n + 1);

        ck_assert_ptr_nonnull(s);
        for (i = 0; i < n; i++)
                memcpy(s + i * u, unit, u);
        s[u * n] = '\0';
        return s;
}

/* ---- field errors ---- */

/* The field errors of err into buf: "\"/a\": message, ..." with messages, "\"/a\", ..." without. */
static inline void describe_fields(const struct gd_error *err, char *buf, size_t n, bool messages)
{
        size_t i, used = 0;

        buf[0] = '\0';
        for (i = 0; i < err->n_fields && i < GD_ERROR_MAX_FIELDS; i++) {
                int w = messages ? snprintf(buf + used, n - used, "%s\"%s\": %s", i ? ", " : "",
                                            err->fields[i].pointer, err->fields[i].message)
                                 : snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "",
                                            err->fields[i].pointer);
                if (w < 0 || (size_t)w >= n - used)
                        break;
                used += (size_t)w;
        }
}

static inline void describe(const struct gd_error *err, char *buf, size_t n)
{
        describe_fields(err, buf, n, true);
}

static inline void describe_pointers(const struct gd_error *err, char *buf, size_t n)
{
        describe_fields(err, buf, n, false);
}

/* The message of the first field error at ptr, NULL if none. */
static inline const char *message_at(const struct gd_error *err, const char *ptr)
{
        size_t i;

        for (i = 0; i < err->n_fields && i < GD_ERROR_MAX_FIELDS; i++)
                if (strcmp(err->fields[i].pointer, ptr) == 0)
                        return err->fields[i].message;
        return NULL;
}

static inline bool has_pointer(const struct gd_error *err, const char *ptr)
{
        return message_at(err, ptr) != NULL;
}

/* The first field error at ptr exists and has a non-empty message. */
static inline bool has_message(const struct gd_error *err, const char *ptr)
{
        const char *m = message_at(err, ptr);

        return m != NULL && m[0] != '\0';
}

/* `expect` is one pointer, or several acceptable ones separated by '|' where the contract allows either. */
static inline bool pointer_matches(const struct gd_error *err, const char *expect)
{
        char buf[256];
        char *p, *bar;

        snprintf(buf, sizeof(buf), "%s", expect);
        for (p = buf;; p = bar + 1) {
                bar = strchr(p, '|');
                if (bar)
                        *bar = '\0';
                if (has_pointer(err, p))
                        return true;
                if (!bar)
                        return false;
        }
}

/* ---- data-driven cases: $GD_TEST_DATA/{valid,invalid}/<dir>/<case>.json (+ .pointer if invalid) ---- */

struct data_case {
        int group;       /* index of dir in the list given to scan_cases() */
        const char *dir; /* dirs[group] itself, not a copy */
        char name[256];  /* "<case>.json" */
};

static inline int data_case_cmp(const void *a, const void *b)
{
        const struct data_case *x = a, *y = b;

        if (x->group != y->group)
                return x->group - y->group;
        return strcmp(x->name, y->name);
}

/* Collects the *.json files of $GD_TEST_DATA/<kind>/<dirs[i]>/ for every i, at most max, sorted by directory
 * then name; returns their number (0 when GD_TEST_DATA is not set). */
static inline int scan_cases(const char *kind, const char *const *dirs, int n_dirs, struct data_case *out,
                             int max)
{
        const char *root = getenv("GD_TEST_DATA");
        int n = 0, g;

        if (!root)
                return 0;
        for (g = 0; g < n_dirs; g++) {
                char path[512];
                struct dirent *de;
                DIR *d;

                snprintf(path, sizeof(path), "%s/%s/%s", root, kind, dirs[g]);
                d = opendir(path);
                if (!d)
                        continue;
                while ((de = readdir(d)) != NULL && n < max) {
                        size_t len = strlen(de->d_name);
                        if (len > 5 && len < sizeof(out[n].name) &&
                            strcmp(de->d_name + len - 5, ".json") == 0) {
                                out[n].group = g;
                                out[n].dir = dirs[g];
                                snprintf(out[n].name, sizeof(out[n].name), "%s", de->d_name);
                                n++;
                        }
                }
                closedir(d);
        }
        qsort(out, (size_t)n, sizeof(out[0]), data_case_cmp);
        return n;
}

/* $GD_TEST_DATA/<kind>/<dir>/<case><ext>. */
static inline void case_path(const char *kind, const struct data_case *c, const char *ext, char *out,
                             size_t n)
{
        snprintf(out, n, "%s/%s/%s/%.*s%s", getenv("GD_TEST_DATA"), kind, c->dir, (int)(strlen(c->name) - 5),
                 c->name, ext);
}

static inline json_t *load_case(const char *kind, const struct data_case *c)
{
        char path[1024];
        json_error_t jerr;
        json_t *doc;

        case_path(kind, c, ".json", path, sizeof(path));
        doc = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        ck_assert_msg(doc != NULL, "%s: not JSON (line %d: %s)", path, jerr.line, jerr.text);
        return doc;
}

/* The sibling invalid <case>.pointer file: the expected pointer on its first line (empty for the root). */
static inline void read_pointer(const struct data_case *c, char *out, size_t n)
{
        char path[1024];
        size_t len;
        FILE *f;

        case_path("invalid", c, ".pointer", path, sizeof(path));
        f = fopen(path, "r");
        ck_assert_msg(f != NULL, "%s is missing", path);
        if (!fgets(out, (int)n, f))
                out[0] = '\0';
        fclose(f);
        len = strlen(out);
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
                out[--len] = '\0';
}

/* ---- main ---- */

/* Runs every suite of sr and frees it; returns main()'s exit status. */
static inline int run_suites(SRunner *sr)
{
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
