#!/usr/bin/env bash
# Installs the system libraries Atelier links (libpng, libjpeg, zlib, libpq) when their headers are
# missing, python3's pip for the weight download and venv for the contract test. Does nothing
# when all are present.
set -euo pipefail
missing=()
[ -f /usr/include/png.h ] || missing+=(libpng-dev)
[ -f /usr/include/jpeglib.h ] || missing+=(libjpeg-dev)
[ -f /usr/include/zlib.h ] || missing+=(libz-dev)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
# scripts/test_contract.py installs Schemathesis into a venv of its own.
venv_probe=$(mktemp -d)
python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
