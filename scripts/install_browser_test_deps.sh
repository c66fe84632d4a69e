#!/usr/bin/env bash
# Installs what scripts/test_web_page.py needs when it is missing: Debian's chromium and
# chromium-driver (the driver matches the browser's version, so Selenium downloads nothing),
# and Selenium from PyPI, pinned. Does nothing when all are present.
set -euo pipefail
SELENIUM=4.51.0   # 4.52.0 needs a certifi newer than some PyPI mirrors carry
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser test: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$(python3 -c 'import selenium; print(selenium.__version__)' 2>/dev/null)" != "$SELENIUM" ]; then
  echo "browser test: installing selenium==$SELENIUM"
  python3 -m pip install --quiet "selenium==$SELENIUM"
fi
