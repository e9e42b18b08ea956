#!/usr/bin/env bash
# Installs Node.js 24 (the Lambda runtime, nodejs24.x) from the npm registry, pinned, into
# .tools/node24, for the tests that must run on it: the local Step Functions interpreter
# (aws-local-stepfunctions needs Node 22 or later) runs the pipeline's handlers on Node 24, and CI
# runs the whole suite on it as well as on the machine's Node. The npm registry's node-linux-<arch>
# package holds the official binary; npm checks its integrity against the registry's.
#
#   scripts/setup-node24.sh      -> .tools/node24/bin/node
#
# All messages go to stderr. Re-runs are quick: nothing is fetched when the pinned version answers.
set -euo pipefail

NODE24_VERSION="24.21.0"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${ROOT}/.tools/node24"
log() { printf '[setup-node24] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

if [[ -x "${DEST}/bin/node" ]] && [[ "$("${DEST}/bin/node" --version 2>/dev/null)" == "v${NODE24_VERSION}" ]]; then
  log "node ${NODE24_VERSION} already installed in ${DEST}"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no node-linux package for $(uname -m)" ;;
esac
[[ "$(uname -s)" == "Linux" ]] || die "only Linux is supported here (got $(uname -s))"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
log "npm pack node-linux-${arch}@${NODE24_VERSION} ..."
(cd "${work}" && npm pack --silent "node-linux-${arch}@${NODE24_VERSION}" >/dev/null) ||
  die "npm pack node-linux-${arch}@${NODE24_VERSION} failed (is the npm registry reachable?)"
tar -xzf "${work}"/node-linux-"${arch}"-*.tgz -C "${work}"
[[ -x "${work}/package/bin/node" ]] || die "the package holds no bin/node"
got="$("${work}/package/bin/node" --version)"
[[ "${got}" == "v${NODE24_VERSION}" ]] || die "the package's node says ${got}, not v${NODE24_VERSION}"
rm -rf "${DEST}.tmp"
mkdir -p "${DEST}.tmp/bin"
mv "${work}/package/bin/node" "${DEST}.tmp/bin/node"
rm -rf "${DEST}"
mv "${DEST}.tmp" "${DEST}"
log "node ${got} installed in ${DEST}"
