#!/usr/bin/env bash
# Install the given Debian packages if any is missing. Needs root and apt-get; without them,
# list what is missing and carry on (the tests that need a package say so when they fail).
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "warning: missing Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
fi
