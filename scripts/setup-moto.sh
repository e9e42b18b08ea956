#!/usr/bin/env bash
# Installs moto's server (a local AWS endpoint for S3, KMS, CloudWatch Logs and STS) and the AWS
# Encryption SDK for Python (the interop test decrypts imgsec packages with it, and imgsec decrypts
# its messages) into one project-local virtualenv, both pinned, for the integration tests
# (test/helpers/moto.ts starts moto on 127.0.0.1; test/crypto/interop.test.ts runs its Python).
# Re-runs are quick: nothing is downloaded when the pinned versions answer.
#
#   scripts/setup-moto.sh        -> .tools/moto/bin/moto_server, .tools/moto/bin/python
#
# All messages go to stderr.
set -euo pipefail

MOTO_VERSION="5.2.5"
ESDK_VERSION="4.0.7" # PyPI aws-encryption-sdk

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${ROOT}/.tools/moto"
log() { printf '[setup-moto] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
moto_version() { "${VENV}/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || true; }
esdk_version() {
  "${VENV}/bin/python" -c 'import aws_encryption_sdk; print(aws_encryption_sdk.__version__)' \
    2>/dev/null || true
}

moto_ok=false
esdk_ok=false
if [[ -x "${VENV}/bin/moto_server" ]] && [[ "$(moto_version)" == "${MOTO_VERSION}" ]]; then
  moto_ok=true
  [[ "$(esdk_version)" == "${ESDK_VERSION}" ]] && esdk_ok=true
fi
if ${moto_ok} && ${esdk_ok}; then
  log "moto ${MOTO_VERSION} and aws-encryption-sdk ${ESDK_VERSION} already installed in ${VENV}"
  exit 0
fi

start=$(date +%s)
if ! ${moto_ok}; then
  PY="$(command -v python3 || true)"
  [[ -n "${PY}" ]] || die "python3 not found: moto's server needs Python 3 with venv and pip"
  rm -rf "${VENV}"
  "${PY}" -m venv "${VENV}" >&2 || die "python3 -m venv failed"
  log "pip install moto[server]==${MOTO_VERSION} aws-encryption-sdk==${ESDK_VERSION} ..."
  "${VENV}/bin/pip" install --quiet --disable-pip-version-check \
    "moto[server]==${MOTO_VERSION}" "aws-encryption-sdk==${ESDK_VERSION}" >&2 ||
    die "pip install moto[server]==${MOTO_VERSION} aws-encryption-sdk==${ESDK_VERSION} failed (is PyPI reachable?)"
else
  # moto is there (e.g. a virtualenv from before the SDK was added): add the SDK only.
  log "pip install aws-encryption-sdk==${ESDK_VERSION} ..."
  "${VENV}/bin/pip" install --quiet --disable-pip-version-check \
    "aws-encryption-sdk==${ESDK_VERSION}" >&2 ||
    die "pip install aws-encryption-sdk==${ESDK_VERSION} failed (is PyPI reachable?)"
fi
[[ "$(moto_version)" == "${MOTO_VERSION}" ]] ||
  die "moto was installed but does not report ${MOTO_VERSION}"
[[ "$(esdk_version)" == "${ESDK_VERSION}" ]] ||
  die "aws-encryption-sdk was installed but does not report ${ESDK_VERSION}"
log "installed moto ${MOTO_VERSION} and aws-encryption-sdk ${ESDK_VERSION} in $(($(date +%s) - start))s"
