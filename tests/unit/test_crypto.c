/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/sha256.h and apikey.h: FIPS 180-4 vectors, constant-time compare, API keys. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/apikey.h"
#include "guestd/sha256.h"

#include "gd_check.h"

static void to_hex(const uint8_t *d, size_t n, char *out)
{
        static const char hex[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < n; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 0xf];
        }
        out[2 * n] = '\0';
}

/* ---- SHA-256 ---- */

static const struct {
        const char *msg;
        const char *digest;
} sha_cases[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
          "nopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

START_TEST(test_sha256_vectors)
{
        uint8_t d[GD_SHA256_LEN];
        char hex[2 * GD_SHA256_LEN + 1];

        gd_sha256(sha_cases[_i].msg, strlen(sha_cases[_i].msg), d);
        to_hex(d, sizeof(d), hex);
        ck_assert_str_eq(hex, sha_cases[_i].digest);
}
END_TEST

/* Lengths around the 55/56/64-byte padding boundaries. */
static const struct {
        size_t n;
        const char *digest;
} sha_len_cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
};

START_TEST(test_sha256_lengths)
{
        char msg[128];
        uint8_t d[GD_SHA256_LEN];
        char hex[2 * GD_SHA256_LEN + 1];

        memset(msg, 'a', sizeof(msg));
        gd_sha256(msg, sha_len_cases[_i].n, d);
        to_hex(d, sizeof(d), hex);
        ck_assert_msg(strcmp(hex, sha_len_cases[_i].digest) == 0, "%zu x 'a': got %s", sha_len_cases[_i].n, hex);
}
END_TEST

START_TEST(test_sha256_million_a)
{
        size_t n = 1000000;
        char *msg = malloc(n);
        uint8_t d[GD_SHA256_LEN];
        char hex[2 * GD_SHA256_LEN + 1];

        ck_assert_ptr_nonnull(msg);
        memset(msg, 'a', n);
        gd_sha256(msg, n, d);
        free(msg);
        to_hex(d, sizeof(d), hex);
        ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* ---- constant-time equality: non-zero when equal, zero when different ---- */

START_TEST(test_memeq_ct)
{
        uint8_t a[33], b[33];

        memset(a, 0x5a, sizeof(a));
        memcpy(b, a, sizeof(b));
        ck_assert_int_ne(gd_memeq_ct(a, b, sizeof(a)), 0);
        ck_assert_int_ne(gd_memeq_ct(a, a, sizeof(a)), 0);
        ck_assert_int_ne(gd_memeq_ct(a, b, 0), 0);

        b[0] ^= 0x01;
        ck_assert_int_eq(gd_memeq_ct(a, b, sizeof(a)), 0);
        ck_assert_int_ne(gd_memeq_ct(a + 1, b + 1, sizeof(a) - 1), 0);
        b[0] = a[0];
        b[32] ^= 0x80; /* last byte, high bit */
        ck_assert_int_eq(gd_memeq_ct(a, b, sizeof(a)), 0);
        ck_assert_int_ne(gd_memeq_ct(a, b, sizeof(a) - 1), 0);
        b[32] = a[32];
        b[16] = 0x00;
        ck_assert_int_eq(gd_memeq_ct(a, b, sizeof(a)), 0);
}
END_TEST

/* ---- API keys ---- */

static int is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_b64url(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* gdk_ + 12 lowercase hex + _ + 43 base64url characters, nothing else. */
static void assert_key_shape(const char *key)
{
        size_t i, len = strlen(key);

        ck_assert_msg(len == 4 + GD_APIKEY_PREFIX_LEN + 1 + 43, "key \"%s\" has length %zu", key, len);
        ck_assert_msg(len < GD_APIKEY_MAX_LEN, "key longer than GD_APIKEY_MAX_LEN");
        ck_assert_msg(strncmp(key, "gdk_", 4) == 0, "key \"%s\" lacks gdk_", key);
        for (i = 4; i < 4 + GD_APIKEY_PREFIX_LEN; i++)
                ck_assert_msg(is_lower_hex(key[i]), "key \"%s\": char %zu not lowercase hex", key, i);
        ck_assert_msg(key[4 + GD_APIKEY_PREFIX_LEN] == '_', "key \"%s\": no '_' after the prefix", key);
        for (i = 4 + GD_APIKEY_PREFIX_LEN + 1; i < len; i++)
                ck_assert_msg(is_b64url(key[i]), "key \"%s\": char %zu not base64url", key, i);
}

enum { BYTES_COUNTING, BYTES_ZERO, BYTES_FF, BYTES_FB, BYTES_MIXED, _BYTES_MAX };

static void fill_random(uint8_t r[GD_APIKEY_RANDOM_BYTES], int kind)
{
        size_t i;

        for (i = 0; i < GD_APIKEY_RANDOM_BYTES; i++) {
                switch (kind) {
                case BYTES_COUNTING:
                        r[i] = (uint8_t)i;
                        break;
                case BYTES_ZERO:
                        r[i] = 0x00;
                        break;
                case BYTES_FF: /* the secret becomes all '_' */
                        r[i] = 0xff;
                        break;
                case BYTES_FB: /* 0xfb... gives '-' and '_' in base64url */
                        r[i] = 0xfb;
                        break;
                default:
                        r[i] = (uint8_t)(i * 73u + 41u);
                        break;
                }
        }
}

START_TEST(test_apikey_format_shape)
{
        uint8_t r[GD_APIKEY_RANDOM_BYTES];
        char key[GD_APIKEY_MAX_LEN];

        fill_random(r, _i);
        memset(key, 'Z', sizeof(key));
        gd_apikey_format(r, key);
        ck_assert_msg(memchr(key, '\0', sizeof(key)) != NULL, "key is not NUL-terminated");
        assert_key_shape(key);
}
END_TEST

START_TEST(test_apikey_format_deterministic)
{
        uint8_t r[GD_APIKEY_RANDOM_BYTES];
        char k1[GD_APIKEY_MAX_LEN], k2[GD_APIKEY_MAX_LEN], k3[GD_APIKEY_MAX_LEN], k4[GD_APIKEY_MAX_LEN];

        fill_random(r, BYTES_COUNTING);
        gd_apikey_format(r, k1);
        gd_apikey_format(r, k2);
        ck_assert_str_eq(k1, k2);

        /* a change in the last byte changes the key */
        r[GD_APIKEY_RANDOM_BYTES - 1] ^= 0xff;
        gd_apikey_format(r, k3);
        ck_assert_str_ne(k1, k3);

        /* a change in the first byte changes the key */
        fill_random(r, BYTES_COUNTING);
        r[0] ^= 0xff;
        gd_apikey_format(r, k4);
        ck_assert_str_ne(k1, k4);
}
END_TEST

START_TEST(test_apikey_prefix_roundtrip)
{
        uint8_t r[GD_APIKEY_RANDOM_BYTES];
        char key[GD_APIKEY_MAX_LEN];
        char prefix[GD_APIKEY_PREFIX_LEN + 1];

        fill_random(r, _i);
        gd_apikey_format(r, key);
        memset(prefix, 'Z', sizeof(prefix));
        ck_assert_msg(gd_apikey_prefix(key, prefix), "prefix of its own key \"%s\" rejected", key);
        ck_assert_uint_eq(strlen(prefix), GD_APIKEY_PREFIX_LEN);
        ck_assert_msg(strncmp(prefix, key + 4, GD_APIKEY_PREFIX_LEN) == 0, "prefix \"%s\" of \"%s\"", prefix, key);
}
END_TEST

/* A valid key to mutate: gdk_0123456789ab_ + 43 chars. */
#define GOOD_PREFIX "gdk_0123456789ab_"
#define GOOD_SECRET "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static const char *const bad_keys[] = {
        "",
        "gdk_",
        "gdk_0123456789ab",
        "gdk_0123456789ab_",
        "gdx_0123456789ab_" GOOD_SECRET,          /* wrong scheme */
        "GDK_0123456789ab_" GOOD_SECRET,
        "gd_0123456789ab_" GOOD_SECRET,
        "0123456789ab_" GOOD_SECRET,
        "gdk_0123456789AB_" GOOD_SECRET,          /* upper-case hex */
        "gdk_0123456789ag_" GOOD_SECRET,          /* not hex */
        "gdk_0123456789a_" GOOD_SECRET,           /* 11-char prefix */
        "gdk_0123456789abc_" GOOD_SECRET,         /* 13-char prefix */
        "gdk_0123456789ab-" GOOD_SECRET,          /* wrong separator */
        "gdk_0123456789ab" GOOD_SECRET,           /* no separator */
        GOOD_PREFIX "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",   /* 42-char secret */
        GOOD_PREFIX GOOD_SECRET "A",              /* 44-char secret */
        GOOD_PREFIX GOOD_SECRET GOOD_SECRET,      /* far too long */
        GOOD_PREFIX "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", /* '+' is not base64url */
        GOOD_PREFIX "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/",
        GOOD_PREFIX "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=",
        GOOD_PREFIX "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw Hh8", /* space */
        " " GOOD_PREFIX GOOD_SECRET,
        GOOD_PREFIX GOOD_SECRET " ",
        GOOD_PREFIX GOOD_SECRET "\n",
};

START_TEST(test_apikey_prefix_good_literal)
{
        char prefix[GD_APIKEY_PREFIX_LEN + 1];

        ck_assert(gd_apikey_prefix(GOOD_PREFIX GOOD_SECRET, prefix));
        ck_assert_str_eq(prefix, "0123456789ab");
}
END_TEST

START_TEST(test_apikey_prefix_rejects)
{
        char prefix[GD_APIKEY_PREFIX_LEN + 1];

        ck_assert_msg(!gd_apikey_prefix(bad_keys[_i], prefix), "malformed key \"%s\" accepted", bad_keys[_i]);
}
END_TEST

START_TEST(test_apikey_digest)
{
        uint8_t r[GD_APIKEY_RANDOM_BYTES];
        char key[GD_APIKEY_MAX_LEN];
        uint8_t d1[GD_SHA256_LEN], d2[GD_SHA256_LEN], d3[GD_SHA256_LEN];

        fill_random(r, BYTES_MIXED);
        gd_apikey_format(r, key);
        gd_apikey_digest(key, d1);
        gd_sha256(key, strlen(key), d2);
        ck_assert_mem_eq(d1, d2, GD_SHA256_LEN);

        gd_apikey_digest(GOOD_PREFIX GOOD_SECRET, d1);
        gd_sha256(GOOD_PREFIX GOOD_SECRET, strlen(GOOD_PREFIX GOOD_SECRET), d2);
        ck_assert_mem_eq(d1, d2, GD_SHA256_LEN);

        gd_apikey_digest(GOOD_PREFIX "BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", d3);
        ck_assert_mem_ne(d1, d3, GD_SHA256_LEN);
}
END_TEST

/* ---- POST /v1/api-keys body ---- */

static const char *const create_ok[] = {
        "{\"name\": \"pms-sync\", \"role\": \"frontdesk\"}",
        "{\"name\": \"n\", \"role\": \"marketing\"}",
        "{\"name\": \"Night audit \\u00e9quipe\", \"role\": \"ops\"}",
        "{\"name\": \"root\", \"role\": \"admin\"}",
};

START_TEST(test_apikey_create_accepts)
{
        json_error_t jerr;
        json_t *body = json_loads(create_ok[_i], 0, &jerr);
        struct gd_error err;

        ck_assert_ptr_nonnull(body);
        memset(&err, 0, sizeof(err));
        ck_assert_msg(gd_apikey_check_create(body, &err) == GD_OK, "%s rejected (%s)", create_ok[_i],
                      err.n_fields ? err.fields[0].pointer : "no field");
        json_decref(body);
}
END_TEST

static const struct {
        const char *json;
        const char *pointer;
} create_bad[] = {
        { "{\"role\": \"frontdesk\"}", "/name" },
        { "{\"name\": \"\", \"role\": \"frontdesk\"}", "/name" },
        { "{\"name\": \"   \", \"role\": \"frontdesk\"}", "/name" },
        { "{\"name\": 5, \"role\": \"frontdesk\"}", "/name" },
        { "{\"name\": null, \"role\": \"frontdesk\"}", "/name" },
        { "{\"name\": \"pms\"}", "/role" },
        { "{\"name\": \"pms\", \"role\": \"root\"}", "/role" },
        { "{\"name\": \"pms\", \"role\": \"Admin\"}", "/role" },
        { "{\"name\": \"pms\", \"role\": 1}", "/role" },
        { "{\"name\": \"pms\", \"role\": \"ops\", \"foo\": 1}", "/foo" },
        { "{\"name\": \"pms\", \"role\": \"ops\", \"key\": \"gdk_x\"}", "/key" },
        { "{\"name\": \"pms\", \"role\": \"ops\", \"id\": \"x\"}", "/id" },
        { "[]", "" },
        { "\"pms\"", "" },
};

START_TEST(test_apikey_create_rejects)
{
        json_error_t jerr;
        json_t *body = json_loads(create_bad[_i].json, JSON_DECODE_ANY, &jerr);
        struct gd_error err;
        bool found = false;
        size_t i;

        ck_assert_ptr_nonnull(body);
        memset(&err, 0, sizeof(err));
        ck_assert_msg(gd_apikey_check_create(body, &err) == GD_ERR_INVALID, "%s accepted", create_bad[_i].json);
        ck_assert_int_eq(err.code, GD_ERR_INVALID);
        for (i = 0; i < err.n_fields && i < GD_ERROR_MAX_FIELDS; i++)
                found = found || strcmp(err.fields[i].pointer, create_bad[_i].pointer) == 0;
        ck_assert_msg(found, "%s: pointer \"%s\" not reported", create_bad[_i].json, create_bad[_i].pointer);
        json_decref(body);
}
END_TEST

START_TEST(test_apikey_create_name_length)
{
        char name[102];
        json_t *body;
        struct gd_error err;

        memset(name, 'k', 100);
        name[100] = '\0';
        body = json_pack("{s:s, s:s}", "name", name, "role", "ops");
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_apikey_check_create(body, &err), GD_OK);
        json_decref(body);

        name[100] = 'k';
        name[101] = '\0';
        body = json_pack("{s:s, s:s}", "name", name, "role", "ops");
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(gd_apikey_check_create(body, &err), GD_ERR_INVALID);
        ck_assert_str_eq(err.fields[0].pointer, "/name");
        json_decref(body);
}
END_TEST

static Suite *crypto_suite(void)
{
        Suite *s = suite_create("crypto");
        TCase *tc;

        tc = tcase_create("sha256");
        tcase_add_loop_test(tc, test_sha256_vectors, 0, N(sha_cases));
        tcase_add_loop_test(tc, test_sha256_lengths, 0, N(sha_len_cases));
        tcase_add_test(tc, test_sha256_million_a);
        tcase_add_test(tc, test_memeq_ct);
        suite_add_tcase(s, tc);

        tc = tcase_create("apikey");
        tcase_add_loop_test(tc, test_apikey_format_shape, 0, _BYTES_MAX);
        tcase_add_test(tc, test_apikey_format_deterministic);
        tcase_add_loop_test(tc, test_apikey_prefix_roundtrip, 0, _BYTES_MAX);
        tcase_add_test(tc, test_apikey_prefix_good_literal);
        tcase_add_loop_test(tc, test_apikey_prefix_rejects, 0, N(bad_keys));
        tcase_add_test(tc, test_apikey_digest);
        tcase_add_loop_test(tc, test_apikey_create_accepts, 0, N(create_ok));
        tcase_add_loop_test(tc, test_apikey_create_rejects, 0, N(create_bad));
        tcase_add_test(tc, test_apikey_create_name_length);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suites(srunner_create(crypto_suite()));
}
