#!/usr/bin/env bash
# Installs the pinned policy toolchain (opa, regal) into <repo>/.tools/bin.
#
#   scripts/setup-tools.sh            # install / verify both tools
#   SKIP_REGAL=1 scripts/setup-tools.sh
#   REQUIRE_REGAL=1 scripts/setup-tools.sh   # make a failed regal install fatal
#
# Tools are built from source with `go install module@version` (CGO off), so
# only `go` and a Go module proxy are needed. Re-runs are cheap: a tool whose
# installed version already matches the pin is not rebuilt, and Go's build and
# module caches (GOCACHE / GOMODCACHE, shared per machine) are reused.
#
# `go install module@version` also reads the module's version list (to look for
# deprecations). The Go proxy reachable from this project's machines refuses
# that list for regal (403), so when the direct install fails the tool is built
# instead from a throw-away module that requires exactly module@version; the
# module is still checksum-verified (go.sum / GOSUMDB) as usual.
#
# regal is optional by default: if it cannot be installed a warning is printed
# and the script still succeeds, because opa alone is enough to build policies
# (`opa check --strict` and `opa fmt --fail` cover basic linting).
set -euo pipefail

# --- pinned versions -------------------------------------------------------
OPA_MODULE="github.com/open-policy-agent/opa"
OPA_VERSION="v1.22.2"
# Regal moved from github.com/StyraInc/regal to the OPA org in 2025; the old
# path is not served any more. v0.39.0 (2026-02, requires Go 1.26) is the newest
# version our Go proxy serves. It is built without a stamped version, so
# `regal version` says "Version: unknown" (which also keeps regal's online
# update check off); the installed version is read from Go build info instead.
REGAL_MODULE="github.com/open-policy-agent/regal"
REGAL_VERSION="v0.39.0"
# ---------------------------------------------------------------------------

log() { printf '[setup-tools] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd -P)"
TOOLS_BIN="${REPO_ROOT}/.tools/bin"

# version_ok TOOL MODULE VERSION -> 0 if ${TOOLS_BIN}/TOOL is that version.
version_ok() {
  local tool="$1" module="$2" want="$3" bin="${TOOLS_BIN}/$1" out
  [[ -x "${bin}" ]] || return 1
  # 1) the tool's own `version` subcommand ("Version: 1.22.2" / "v1.22.2")
  if out="$("${bin}" version 2>/dev/null)" &&
    grep -Eq "^Version:[[:space:]]*v?${want#v}([[:space:]]|$)" <<<"${out}"; then
    return 0
  fi
  # 2) Go build info (works even when a tool's version string is not stamped)
  if command -v go >/dev/null 2>&1 &&
    out="$(go version -m "${bin}" 2>/dev/null)" &&
    grep -Eq "^[[:space:]]*mod[[:space:]]+${module}[[:space:]]+${want}([[:space:]]|$)" <<<"${out}"; then
    return 0
  fi
  return 1
}

# install_via_temp_module MODULE VERSION: `go install MODULE` inside a
# throw-away main module that requires exactly MODULE VERSION. Same build list
# as `go install MODULE@VERSION`, but needs no access to the version list.
install_via_temp_module() {
  local module="$1" version="$2" tmp rc=0
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/imgsec-tools.XXXXXX")"
  printf 'module imgsec.local/tools-build\n\ngo %s\n\nrequire %s %s\n' \
    "$(go env GOVERSION | sed -e 's/^go//' -e 's/[^0-9.].*$//')" "${module}" "${version}" >"${tmp}/go.mod"
  (cd "${tmp}" && go install "${module}") || rc=$?
  rm -rf "${tmp}"
  return "${rc}"
}

# install TOOL MODULE VERSION -> 0 on success
install_tool() {
  local tool="$1" module="$2" version="$3" start end
  if version_ok "${tool}" "${module}" "${version}"; then
    log "${tool} ${version} already installed (${TOOLS_BIN}/${tool})"
    return 0
  fi
  log "building ${tool} ${version} from ${module} (first build takes a few minutes) ..."
  start=$(date +%s)
  if ! go install "${module}@${version}"; then
    log "go install ${module}@${version} failed; retrying from a pinned temporary module ..."
    install_via_temp_module "${module}" "${version}" || return 1
  fi
  end=$(date +%s)
  version_ok "${tool}" "${module}" "${version}" ||
    { log "${tool} was built but does not report version ${version}"; return 1; }
  log "installed ${tool} ${version} in $((end - start))s"
}

# Fall back to the standard install location when go is not on PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:${PATH}"
fi
command -v go >/dev/null 2>&1 ||
  die "'go' not found on PATH. Install Go >= 1.26 (https://go.dev/dl/) and re-run ${BASH_SOURCE[0]}."

mkdir -p "${TOOLS_BIN}"
export GOBIN="${TOOLS_BIN}"
export CGO_ENABLED=0
export GOFLAGS="-mod=mod"
export GOWORK=off
# Never try to download another Go toolchain; fail with a clear message instead.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# GOCACHE / GOMODCACHE: keep the user's (machine-wide) caches so that fresh
# clones, including CI's, reuse earlier builds.
log "using $(go version | cut -d' ' -f3-), GOBIN=${GOBIN}, GOCACHE=$(go env GOCACHE)"

install_tool opa "${OPA_MODULE}" "${OPA_VERSION}" ||
  die "could not install opa ${OPA_VERSION}"

if [[ "${SKIP_REGAL:-0}" == "1" ]]; then
  log "SKIP_REGAL=1: not installing regal"
elif ! install_tool regal "${REGAL_MODULE}" "${REGAL_VERSION}"; then
  if [[ "${REQUIRE_REGAL:-0}" == "1" ]]; then
    die "could not install regal ${REGAL_VERSION} (REQUIRE_REGAL=1)"
  fi
  log "WARNING: regal ${REGAL_VERSION} could not be installed (is ${REGAL_MODULE} served by your GOPROXY?);"
  log "         continuing without it. Lint with: .tools/bin/opa check --strict <dir> && .tools/bin/opa fmt --fail --list <dir>"
fi

log "done: $(ls "${TOOLS_BIN}" | tr '\n' ' ')"
