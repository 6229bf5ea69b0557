#!/usr/bin/env bash
# Install the system packages the test suite needs: PostgreSQL + PostGIS, Debian's
# Chromium (headless map and report tests) and CJK fonts (Chinese text in charts,
# maps and reports). As root with apt-get it installs them; otherwise it says what to
# install and exits non-zero so the missing piece is never silently skipped.
set -euo pipefail
PKGS=(postgresql postgresql-15-postgis-3 chromium chromium-driver fonts-noto-cjk fontconfig)
# npm is not needed: the map's browser packages ship inside the package (make assets, which
# refreshes them, is the only command that uses npm).

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${PKGS[*]})"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "system packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
  echo "system packages: installed"
else
  echo "system packages missing: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get install ${missing[*]}" >&2
  echo "(on Debian 12; elsewhere: PostgreSQL 15 with PostGIS 3, Chromium, Noto CJK fonts)" >&2
  exit 1
fi
