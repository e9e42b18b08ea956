#!/usr/bin/env bash
# Installs Checkov, pinned, into a project-local virtualenv, for the Checkov comparison benchmark
# (bench/checkov.js, `BENCH_ONLY=checkov npm run bench`). Re-runs are quick: nothing is downloaded
# when the pinned version answers.
#
#   scripts/setup-checkov.sh     -> .tools/checkov/bin/checkov
#
# Checkov reaches for the network unless told not to (the Bridgecrew platform's check mappings,
# its policy metadata, the SCA package scan, the version check): bench/checkov.js runs it with
# CHECKOV_OFFLINE_ENV (below, printed by `scripts/setup-checkov.sh --env`) and `--skip-download`.
# All messages go to stderr.
set -euo pipefail

CHECKOV_VERSION="3.3.30" # the newest on PyPI that installs under Python 3.11 here

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${ROOT}/.tools/checkov"
log() { printf '[setup-checkov] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
checkov_version() {
  "${VENV}/bin/python" -c 'from checkov.version import version; print(version)' 2>/dev/null || true
}

if [[ -x "${VENV}/bin/checkov" ]] && [[ "$(checkov_version)" == "${CHECKOV_VERSION}" ]]; then
  log "checkov ${CHECKOV_VERSION} already installed in ${VENV}"
  exit 0
fi

start=$(date +%s)
PY="$(command -v python3 || true)"
[[ -n "${PY}" ]] || die "python3 not found: Checkov needs Python 3.9-3.12 with venv and pip"
rm -rf "${VENV}"
"${PY}" -m venv "${VENV}" >&2 || die "python3 -m venv failed"
log "pip install checkov==${CHECKOV_VERSION} ..."
"${VENV}/bin/pip" install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}" >&2 ||
  die "pip install checkov==${CHECKOV_VERSION} failed (is PyPI reachable?)"
[[ "$(checkov_version)" == "${CHECKOV_VERSION}" ]] ||
  die "checkov was installed but does not report ${CHECKOV_VERSION}"
log "installed checkov ${CHECKOV_VERSION} in $(($(date +%s) - start))s"
