# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages a script needs, only when some are missing.

# shellcheck disable=SC2034 # used by the scripts that source this file
GD_BUILD_PACKAGES=(gcc meson ninja-build pkg-config libmicrohttpd-dev libjansson-dev libpq-dev check python3 python3-yaml)
# shellcheck disable=SC2034
GD_SERVER_PACKAGES=(postgresql-15 postgresql-contrib)
# shellcheck disable=SC2034
# chromium: the test of GET /docs renders the page in Debian's headless Chromium.
# The page itself is built with Redocly CLI, which needs node >= 20.19 and npx: Debian 12's nodejs
# (18) is too old, so node is not in these lists (CI images bring it, as for scripts/lint-openapi).
# systemd: its systemd-analyze checks the units of contrib/systemd (scripts/lint-systemd).
GD_TEST_PACKAGES=(python3-pytest python3-jsonschema python3-prometheus-client shellcheck chromium systemd)
# shellcheck disable=SC2034
GD_FUZZ_PACKAGES=(clang libclang-rt-14-dev) # libFuzzer and the sanitizer runtimes of clang 14

# ensure_packages PKG...: apt-get installs the ones dpkg does not list as installed.
ensure_packages() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        if [ "$(id -u)" != 0 ]; then
                echo "guestd: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
                return 1
        fi
        echo "guestd: installing ${missing[*]}" >&2
        # The Debian package starts its own cluster on port 5432; ours are private, so keep it off.
        export DEBIAN_FRONTEND=noninteractive
        if [ ! -e /usr/sbin/policy-rc.d ]; then
                printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
                chmod +x /usr/sbin/policy-rc.d
                trap 'rm -f /usr/sbin/policy-rc.d' RETURN
        fi
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
