/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/problem.h and error.h: the gd_err to RFC 9457 mapping and field errors. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/error.h"
#include "guestd/problem.h"

#include "gd_check.h"

/* ---- the mapping ---- */

/* Loop index _i runs over GD_ERR_BAD_REQUEST.._GD_ERR_MAX-1; GD_ERR_RETRY never reaches a client. */
START_TEST(test_every_code_has_problem)
{
        enum gd_err code = (enum gd_err)_i;
        const struct gd_problem *p;

        if (code == GD_ERR_RETRY)
                return;
        p = gd_problem_for(code);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(p->status >= 400 && p->status <= 599, "code %d (%s): status %u", _i, gd_err_to_string(code),
                      p->status);
        ck_assert_msg(p->title != NULL && p->title[0] != '\0', "code %d: empty title", _i);
        ck_assert_msg(p->type != NULL && strncmp(p->type, "/problems/", 10) == 0 && p->type[10] != '\0',
                      "code %d: type \"%s\"", _i, p->type ? p->type : "(null)");
}
END_TEST

START_TEST(test_every_code_has_name)
{
        const char *name = gd_err_to_string((enum gd_err)_i);

        ck_assert_msg(name != NULL && name[0] != '\0', "code %d has no name", _i);
}
END_TEST

START_TEST(test_err_to_string_example)
{
        ck_assert_str_eq(gd_err_to_string(GD_ERR_NOT_FOUND), "not_found");
}
END_TEST

/* Statuses and slugs from DESIGN §4 and openapi/openapi.yaml. */
static const struct {
        enum gd_err code;
        unsigned status;
        const char *type;
} status_cases[] = {
        { GD_ERR_BAD_REQUEST, 400, "/problems/bad-request" },
        { GD_ERR_BAD_JSON, 400, "/problems/malformed-json" },
        { GD_ERR_UNAUTHORIZED, 401, "/problems/unauthorized" },
        { GD_ERR_FORBIDDEN, 403, "/problems/forbidden" },
        { GD_ERR_NOT_FOUND, 404, "/problems/not-found" },
        { GD_ERR_METHOD, 405, "/problems/method-not-allowed" },
        { GD_ERR_CONFLICT, 409, "/problems/conflict" },
        { GD_ERR_PRECONDITION, 412, "/problems/precondition-failed" },
        { GD_ERR_TOO_LARGE, 413, "/problems/payload-too-large" },
        { GD_ERR_MEDIA_TYPE, 415, "/problems/unsupported-media-type" },
        { GD_ERR_INVALID, 422, "/problems/invalid-field" },
        { GD_ERR_UNAVAILABLE, 503, "/problems/unavailable" },
        { GD_ERR_NOMEM, 500, "/problems/internal" },
        { GD_ERR_INTERNAL, 500, "/problems/internal" },
        { GD_ERR_TIMEOUT, 408, "/problems/request-timeout" },
        { GD_ERR_HEADERS_TOO_LARGE, 431, "/problems/headers-too-large" },
        { GD_ERR_NOT_IMPLEMENTED, 501, "/problems/not-implemented" },
};

START_TEST(test_specific_status)
{
        const struct gd_problem *p = gd_problem_for(status_cases[_i].code);

        ck_assert_msg(p->status == status_cases[_i].status, "%s: expected %u, got %u",
                      gd_err_to_string(status_cases[_i].code), status_cases[_i].status, p->status);
        ck_assert_str_eq(p->type, status_cases[_i].type);
}
END_TEST

START_TEST(test_unknown_code_is_internal)
{
        const struct gd_problem *p = gd_problem_for((enum gd_err)999);

        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(p->status, 500);
        p = gd_problem_for(_GD_ERR_MAX);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(p->status, 500);
}
END_TEST

/* ---- gd_error_set / gd_error_add_field / gd_error_clear ---- */

START_TEST(test_error_set)
{
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_error_set(&err, GD_ERR_NOT_FOUND, "guest %s not found (%d)", "abc", 7),
                         GD_ERR_NOT_FOUND);
        ck_assert_int_eq(err.code, GD_ERR_NOT_FOUND);
        ck_assert_str_eq(err.detail, "guest abc not found (7)");

        ck_assert_int_eq(gd_error_set(NULL, GD_ERR_CONFLICT, "ignored %d", 1), GD_ERR_CONFLICT);
}
END_TEST

START_TEST(test_error_set_null_fmt)
{
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_error_set(&err, GD_ERR_INTERNAL, NULL), GD_ERR_INTERNAL);
        ck_assert_int_eq(err.code, GD_ERR_INTERNAL);
        ck_assert_str_eq(err.detail, "");
}
END_TEST

START_TEST(test_error_set_truncates)
{
        struct gd_error err;
        char big[1000];

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_INVALID, "%s", big);
        ck_assert_int_eq(err.code, GD_ERR_INVALID);
        ck_assert_uint_eq(strlen(err.detail), sizeof(err.detail) - 1);
        ck_assert_int_eq(err.detail[0], 'x');
}
END_TEST

START_TEST(test_error_add_field)
{
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        gd_error_add_field(&err, "/address/country", "not an assigned ISO 3166-1 code: %s", "XX");
        gd_error_add_field(&err, "limit", "must be between %d and %d", 1, 500);
        ck_assert_uint_eq(err.n_fields, 2);
        ck_assert_str_eq(err.fields[0].pointer, "/address/country");
        ck_assert_str_eq(err.fields[0].message, "not an assigned ISO 3166-1 code: XX");
        ck_assert_str_eq(err.fields[1].pointer, "limit");
        ck_assert_str_eq(err.fields[1].message, "must be between 1 and 500");
}
END_TEST

START_TEST(test_error_add_field_caps)
{
        struct gd_error err;
        int i;

        memset(&err, 0, sizeof(err));
        for (i = 0; i < GD_ERROR_MAX_FIELDS + 10; i++)
                gd_error_add_field(&err, "/external_refs", "item %d", i);
        ck_assert_uint_eq(err.n_fields, GD_ERROR_MAX_FIELDS);
        ck_assert_str_eq(err.fields[0].message, "item 0");
        ck_assert_str_eq(err.fields[GD_ERROR_MAX_FIELDS - 1].message, "item 31");
}
END_TEST

START_TEST(test_error_add_field_truncates)
{
        struct gd_error err;
        char ptr[300], msg[600];

        memset(ptr, 'p', sizeof(ptr) - 1);
        ptr[0] = '/';
        ptr[sizeof(ptr) - 1] = '\0';
        memset(msg, 'm', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        memset(&err, 0, sizeof(err));
        gd_error_add_field(&err, ptr, "%s", msg);
        ck_assert_uint_eq(err.n_fields, 1);
        ck_assert_uint_lt(strlen(err.fields[0].pointer), sizeof(err.fields[0].pointer));
        ck_assert_uint_lt(strlen(err.fields[0].message), sizeof(err.fields[0].message));
        ck_assert_int_eq(err.fields[0].pointer[0], '/');
}
END_TEST

START_TEST(test_error_clear)
{
        struct gd_error err;

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_INVALID, "bad");
        gd_error_add_field(&err, "/family_name", "required");
        gd_error_clear(&err);
        ck_assert_int_eq(err.code, GD_OK);
        ck_assert_uint_eq(err.n_fields, 0);
        ck_assert_str_eq(err.detail, "");
        ck_assert_str_eq(err.merged_into, "");
}
END_TEST

/* ---- gd_problem_body ---- */

static const char *str_member(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

START_TEST(test_body_with_fields)
{
        struct gd_error err;
        const struct gd_problem *p = gd_problem_for(GD_ERR_INVALID);
        json_t *body, *errors, *e;

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_INVALID, "2 fields are invalid");
        gd_error_add_field(&err, "/family_name", "required");
        gd_error_add_field(&err, "/address/country", "unknown country");
        body = gd_problem_body(&err, "/v1/guests", "req-123");
        ck_assert_ptr_nonnull(body);
        ck_assert(json_is_object(body));
        ck_assert_str_eq(str_member(body, "type"), "/problems/invalid-field");
        ck_assert_str_eq(str_member(body, "title"), p->title);
        ck_assert(json_is_integer(json_object_get(body, "status")));
        ck_assert_int_eq(json_integer_value(json_object_get(body, "status")), 422);
        ck_assert_str_eq(str_member(body, "detail"), "2 fields are invalid");
        ck_assert_str_eq(str_member(body, "instance"), "/v1/guests");
        ck_assert_str_eq(str_member(body, "request_id"), "req-123");
        ck_assert_ptr_null(json_object_get(body, "merged_into"));

        errors = json_object_get(body, "errors");
        ck_assert(json_is_array(errors));
        ck_assert_uint_eq(json_array_size(errors), 2);
        e = json_array_get(errors, 0);
        ck_assert(json_is_object(e));
        ck_assert_str_eq(str_member(e, "field"), "/family_name");
        ck_assert_str_eq(str_member(e, "message"), "required");
        e = json_array_get(errors, 1);
        ck_assert_str_eq(str_member(e, "field"), "/address/country");
        ck_assert_str_eq(str_member(e, "message"), "unknown country");
        json_decref(body);
}
END_TEST

START_TEST(test_body_root_field)
{
        struct gd_error err;
        json_t *body, *errors;

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_INVALID, NULL);
        gd_error_add_field(&err, "", "must be an object");
        body = gd_problem_body(&err, "/v1/guests", "r");
        ck_assert_ptr_nonnull(body);
        errors = json_object_get(body, "errors");
        ck_assert_uint_eq(json_array_size(errors), 1);
        ck_assert_str_eq(str_member(json_array_get(errors, 0), "field"), "");
        json_decref(body);
}
END_TEST

START_TEST(test_body_4xx_without_fields)
{
        struct gd_error err;
        json_t *body;

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_NOT_FOUND, "no guest with this id");
        body = gd_problem_body(&err, "/v1/guests/x", "req-9");
        ck_assert_ptr_nonnull(body);
        ck_assert_str_eq(str_member(body, "type"), "/problems/not-found");
        ck_assert_int_eq(json_integer_value(json_object_get(body, "status")), 404);
        ck_assert_str_eq(str_member(body, "detail"), "no guest with this id");
        ck_assert_str_eq(str_member(body, "instance"), "/v1/guests/x");
        ck_assert_str_eq(str_member(body, "request_id"), "req-9");
        ck_assert_msg(json_object_get(body, "errors") == NULL, "errors[] present without field errors");
        json_decref(body);
}
END_TEST

static const enum gd_err five_xx[] = { GD_ERR_INTERNAL, GD_ERR_NOMEM, GD_ERR_UNAVAILABLE };

START_TEST(test_body_5xx_hides_detail)
{
        struct gd_error err;
        json_t *body;
        const struct gd_problem *p = gd_problem_for(five_xx[_i]);

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, five_xx[_i], "ERROR: relation \"guest\" does not exist (SQLSTATE 42P01)");
        body = gd_problem_body(&err, "/v1/guests", "req-5");
        ck_assert_ptr_nonnull(body);
        ck_assert_msg(json_object_get(body, "detail") == NULL, "%s: detail leaked in a 5xx body",
                      gd_err_to_string(five_xx[_i]));
        ck_assert_int_eq(json_integer_value(json_object_get(body, "status")), (json_int_t)p->status);
        ck_assert_str_eq(str_member(body, "type"), p->type);
        ck_assert_str_eq(str_member(body, "title"), p->title);
        ck_assert_str_eq(str_member(body, "instance"), "/v1/guests");
        ck_assert_str_eq(str_member(body, "request_id"), "req-5");
        json_decref(body);
}
END_TEST

START_TEST(test_body_merged_into)
{
        struct gd_error err;
        json_t *body;

        memset(&err, 0, sizeof(err));
        gd_error_set(&err, GD_ERR_NOT_FOUND, "guest was merged");
        strcpy(err.merged_into, "f47ac10b-58cc-4372-a567-0e02b2c3d479");
        body = gd_problem_body(&err, "/v1/guests/0e02b2c3-58cc-4372-a567-f47ac10bd479", "req-m");
        ck_assert_ptr_nonnull(body);
        ck_assert_str_eq(str_member(body, "merged_into"), "f47ac10b-58cc-4372-a567-0e02b2c3d479");
        json_decref(body);
}
END_TEST

/* Regression (found with the fuzz targets' problem-body invariant): a JSON pointer or detail cut to
 * its slot could end inside a UTF-8 sequence; jansson refused the string and the 422 silently lost
 * that field. The cut now falls between characters, whatever the width of the last one. */
START_TEST(test_truncation_keeps_utf8_whole)
{
        static const char *const units[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}; /* é € 😀 */
        for (size_t u = 0; u < 3; u++)
                for (size_t shift = 0; shift < 4; shift++) {
                        struct gd_error err;
                        char key[400] = "", ptr[GD_POINTER_MAX], detail[600] = "";
                        memset(key, 'k', shift);
                        key[shift] = '\0';
                        while (strlen(key) + 4 < 300)
                                strcat(key, units[u]);
                        strcat(detail, key);
                        strcat(detail, key);
                        gd_pointer_append(ptr, sizeof(ptr), "/address", key);
                        json_t *as_json = json_string(ptr);
                        ck_assert_ptr_nonnull(as_json);
                        json_decref(as_json);
                        memset(&err, 0, sizeof(err));
                        gd_error_add_field(&err, ptr, "unknown member");
                        gd_error_add_field(&err, key, "%s", key);
                        gd_error_set(&err, GD_ERR_INVALID, "%s", detail);
                        json_t *body = gd_problem_body(&err, "/v1/guests", "req-1");
                        ck_assert_ptr_nonnull(body);
                        ck_assert_uint_eq(json_array_size(json_object_get(body, "errors")), 2);
                        ck_assert_ptr_nonnull(json_object_get(body, "detail"));
                        const char *field = str_member(json_array_get(json_object_get(body, "errors"), 0), "field");
                        ck_assert_uint_gt(strlen(field), GD_POINTER_MAX - 8);
                        ck_assert_int_eq(strncmp(field, ptr, strlen(field)), 0);
                        json_decref(body);
                }
}
END_TEST

/* libpq's messages, as PQerrorMessage() gives them, and what a log line or an error line shows */
static const struct {
        const char *in, *out;
} one_line_cases[] = {
        {"connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
         "\tIs the server running on that host and accepting TCP/IP connections?\n",
         "connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server running on that "
         "host and accepting TCP/IP connections?"},
        {"ERROR:  relation \"x\" does not exist\r\n", "ERROR: relation \"x\" does not exist"},
        {"  \n\t ", ""},
        {"", ""},
        {"one line", "one line"},
};

START_TEST(test_one_line)
{
        char text[256];
        snprintf(text, sizeof(text), "%s", one_line_cases[_i].in);
        gd_one_line(text);
        ck_assert_str_eq(text, one_line_cases[_i].out);

        struct gd_error err = {0};
        gd_error_set_cause(&err, "connecting failed: %s", one_line_cases[_i].in);
        ck_assert_ptr_null(strpbrk(err.cause, "\n\r\t"));
        ck_assert(err.cause[0] && err.cause[strlen(err.cause) - 1] != ' ');
}
END_TEST

static Suite *problem_suite(void)
{
        Suite *s = suite_create("problem");
        TCase *tc;

        tc = tcase_create("mapping");
        tcase_add_loop_test(tc, test_every_code_has_problem, GD_ERR_BAD_REQUEST, _GD_ERR_MAX);
        tcase_add_loop_test(tc, test_every_code_has_name, GD_OK, _GD_ERR_MAX);
        tcase_add_test(tc, test_err_to_string_example);
        tcase_add_loop_test(tc, test_specific_status, 0, N(status_cases));
        tcase_add_test(tc, test_unknown_code_is_internal);
        suite_add_tcase(s, tc);

        tc = tcase_create("error");
        tcase_add_test(tc, test_error_set);
        tcase_add_test(tc, test_error_set_null_fmt);
        tcase_add_test(tc, test_error_set_truncates);
        tcase_add_test(tc, test_error_add_field);
        tcase_add_test(tc, test_error_add_field_caps);
        tcase_add_test(tc, test_error_add_field_truncates);
        tcase_add_test(tc, test_error_clear);
        tcase_add_loop_test(tc, test_one_line, 0, N(one_line_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("body");
        tcase_add_test(tc, test_body_with_fields);
        tcase_add_test(tc, test_body_root_field);
        tcase_add_test(tc, test_body_4xx_without_fields);
        tcase_add_loop_test(tc, test_body_5xx_hides_detail, 0, N(five_xx));
        tcase_add_test(tc, test_body_merged_into);
        tcase_add_test(tc, test_truncation_keeps_utf8_whole);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(problem_suite()));
}
