#!/usr/bin/env bash
# Installs the Debian packages the tests drive when they are missing:
# Chromium for the browser test, xmllint (libxml2-utils) for checking the CAP
# we write against the OASIS schema, Noto CJK fonts so that screenshots of
# the UI (go test ./web/ -run Screenshots -screenshots DIR) show Chinese
# glyphs instead of boxes. Without root or apt it says so; those
# tests then skip, except under CI=true, where they fail.
set -euo pipefail
need=()
have_browser=0
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then have_browser=1; fi
done
[ $have_browser = 1 ] || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then need+=(fonts-noto-cjk); fi
[ ${#need[@]} = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} for the tests (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "${need[*]} not installed and cannot be installed here (need root and apt-get); the tests that use them will skip" >&2
