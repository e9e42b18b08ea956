#!/usr/bin/env bash
# Installs moto's server (a local AWS endpoint for S3, KMS, CloudWatch Logs and STS) into a
# project-local virtualenv, pinned, for the integration tests (test/helpers/moto.ts starts it on
# 127.0.0.1). Re-runs are quick: nothing is downloaded when the pinned version answers.
#
#   scripts/setup-moto.sh        -> .tools/moto/bin/moto_server
#
# All messages go to stderr.
set -euo pipefail

MOTO_VERSION="5.2.5"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${ROOT}/.tools/moto"
log() { printf '[setup-moto] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

if [[ -x "${VENV}/bin/moto_server" ]] &&
  [[ "$("${VENV}/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" == "${MOTO_VERSION}" ]]; then
  log "moto ${MOTO_VERSION} already installed in ${VENV}"
  exit 0
fi

PY="$(command -v python3 || true)"
[[ -n "${PY}" ]] || die "python3 not found: moto's server needs Python 3 with venv and pip"
rm -rf "${VENV}"
"${PY}" -m venv "${VENV}" >&2 || die "python3 -m venv failed"
log "pip install moto[server]==${MOTO_VERSION} ..."
start=$(date +%s)
"${VENV}/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}" >&2 ||
  die "pip install moto[server]==${MOTO_VERSION} failed (is PyPI reachable?)"
[[ "$("${VENV}/bin/python" -c 'import moto; print(moto.__version__)')" == "${MOTO_VERSION}" ]] ||
  die "moto was installed but does not report ${MOTO_VERSION}"
log "installed moto ${MOTO_VERSION} in $(( $(date +%s) - start ))s"
