#!/usr/bin/env bash
# Validates the deployment files offline, against the schemas the validators ship:
#   - every Kubernetes manifest under deploy/kubernetes, with kubernetes-validate (PyPI; bundles
#     the Kubernetes API's JSON schemas) in strict mode, which also rejects unknown fields;
#   - every kustomization.yaml: the files it lists exist, and each manifest in its folder is listed
#     (and, where kubectl is installed, `kubectl kustomize` renders it and the output validates too);
#   - the Compose files, with check-jsonschema (PyPI) and the Compose Specification's schema it
#     ships (vendor.compose-spec).
# Installs the two validators, pinned, with pip when they are missing; checks first that each
# rejects a file with a misspelt field. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
KUBERNETES_VALIDATE=1.37.0   # validates against Kubernetes 1.37's schemas
CHECK_JSONSCHEMA=0.39.0

installed() { "$python" -m pip show "$1" 2>/dev/null | awk '/^Version:/ {print $2}'; }
missing=()
[ "$(installed kubernetes-validate)" = "$KUBERNETES_VALIDATE" ] || missing+=("kubernetes-validate==$KUBERNETES_VALIDATE")
[ "$(installed check-jsonschema)" = "$CHECK_JSONSCHEMA" ] || missing+=("check-jsonschema==$CHECK_JSONSCHEMA")
if [ ${#missing[@]} -gt 0 ]; then
  echo "validate_deploy: installing ${missing[*]}" >&2
  "$python" -m pip install --quiet "${missing[@]}"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# First, that the validators can fail here: each must reject a file with a misspelt field.
cat >"$scratch/bad-manifest.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bad}
spec:
  selector: {app: bad}
  portz: [{port: 80}]
YAML
printf 'services:\n  bad:\n    image: bad\n    restartt: always\n' >"$scratch/bad-compose.yml"
if "$python" -m kubernetes_validate --strict --quiet "$scratch/bad-manifest.yaml" >/dev/null 2>&1; then
  echo "validate_deploy: kubernetes-validate accepted a manifest with an unknown field" >&2; exit 1
fi
if "$python" -m check_jsonschema --builtin-schema vendor.compose-spec "$scratch/bad-compose.yml" >/dev/null 2>&1; then
  echo "validate_deploy: check-jsonschema accepted a Compose file with an unknown key" >&2; exit 1
fi

manifests=$(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)
echo "validate_deploy: kubernetes-validate $KUBERNETES_VALIDATE --strict on $(wc -w <<<"$manifests") manifests"
"$python" -m kubernetes_validate --strict --quiet $manifests

# Each kustomization lists what exists, and everything in its folder.
"$python" - deploy/kubernetes <<'PY'
import os, sys, yaml
failures = []
for root, _, files in os.walk(sys.argv[1]):
    if "kustomization.yaml" not in files:
        continue
    with open(os.path.join(root, "kustomization.yaml")) as f:
        listed = yaml.safe_load(f).get("resources", [])
    for entry in listed:
        if not os.path.exists(os.path.join(root, entry)):
            failures.append(f"{root}/kustomization.yaml lists {entry}, which does not exist")
    for name in files:
        if name.endswith(".yaml") and name != "kustomization.yaml" and name not in listed:
            failures.append(f"{root}/{name} is not listed in {root}/kustomization.yaml")
    for name in os.listdir(root):
        sub = os.path.join(root, name)
        if os.path.isfile(os.path.join(sub, "kustomization.yaml")) and name not in listed:
            failures.append(f"{sub} is not listed in {root}/kustomization.yaml")
if failures:
    sys.exit("validate_deploy: " + "\n".join(failures))
PY

if command -v kubectl >/dev/null 2>&1; then
  rendered="$scratch/rendered"
  mkdir "$rendered"
  for overlay in deploy/kubernetes/single deploy/kubernetes/scaled; do
    kubectl kustomize "$overlay" > "$rendered/$(basename "$overlay").yaml"
  done
  echo "validate_deploy: kubectl kustomize renders single and scaled; validating the output"
  "$python" -m kubernetes_validate --strict --quiet "$rendered"/*.yaml
else
  echo "validate_deploy: kubectl is not installed; the kustomizations were checked by their lists only"
fi

echo "validate_deploy: check-jsonschema $CHECK_JSONSCHEMA against the Compose Specification"
"$python" -m check_jsonschema --builtin-schema vendor.compose-spec deploy/docker-compose.yml deploy/docker-compose.single.yml
echo "validate_deploy: all deployment files are valid"
