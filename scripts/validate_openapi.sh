#!/usr/bin/env bash
# Validates openapi.yaml (or the file given as $1) against the OpenAPI specification.
# Installs openapi-spec-validator with pip when it is missing.
set -euo pipefail

spec="$(realpath "${1:-$(dirname "$0")/../openapi.yaml}")"
python="${PYTHON:-python3}"

if ! "$python" -c 'import openapi_spec_validator' 2>/dev/null; then
    echo "installing openapi-spec-validator…" >&2
    "$python" -m pip install --quiet openapi-spec-validator
fi

"$python" - "$spec" <<'PY'
import sys

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

path = sys.argv[1]
spec, _ = read_from_filename(path)
if not str(spec.get("openapi", "")).startswith("3.1"):
    sys.exit(f"{path}: expected OpenAPI 3.1.x, found {spec.get('openapi')!r}")
try:
    validate(spec)
except Exception as error:  # the validator raises several exception types
    sys.exit(f"{path}: INVALID\n{error}")
print(f"{path}: valid OpenAPI {spec['openapi']}, {len(spec.get('paths', {}))} paths")
PY
