#!/usr/bin/env bash
# Installs the DICOM command-line tools used by the de-identification tests:
#
#   dcmtk          dcmdump, dcmodify, dcmconv, dcmftest, ...   (DCMTK)
#   libgdcm-tools  gdcmdump, gdcmanon, gdcmconv, ...           (GDCM)
#   dicom3tools    dciodvfy (IOD validator), dcdump, ...       (David Clunie's dicom3tools)
#
# from Debian's own archive with apt-get, pinned to the versions that Debian 12
# (bookworm) serves. Re-runs are quick: when the pinned versions are already
# installed and `dcmdump --version` / `gdcmdump --version` / `dciodvfy -version`
# answer, nothing is downloaded and apt is not touched.
#
#   scripts/setup-dicom-tools.sh
#   DICOM_TOOLS_SKIP_GDCM=1 scripts/setup-dicom-tools.sh          # without gdcm
#   DICOM_TOOLS_SKIP_DICOM3TOOLS=1 scripts/setup-dicom-tools.sh   # without dicom3tools
#
# Needs root (or password-less `sudo -n`). All messages go to stderr.
#
# When Debian moves a package (a point release or a security update replaces
# the pinned version), `apt-cache policy dcmtk libgdcm-tools dicom3tools` shows the version
# served now: update the pins below in the same change.
set -euo pipefail

# --- pinned versions (Debian 12 "bookworm", main) ---------------------------
DCMTK_VERSION="3.6.7-9~deb12u4"  # dcmdump --version: "dcmdump: ... v3.6.7 ..."
GDCM_VERSION="3.0.21-1"          # gdcmdump --version: "gdcmdump: gdcm 3.0.21 ..."
# dciodvfy -version (on stderr): "dicom3tools Version: 1.00.snapshot.20220618093127"
DICOM3TOOLS_VERSION="1.00~20220618093127-2"
# ---------------------------------------------------------------------------

log() { printf '[setup-dicom-tools] %s\n' "$*" >&2; }
# shellcheck source=lib/apt-pinned.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-pinned.sh"

# tool_ok TOOL UPSTREAM_VERSION -> 0 if TOOL is on PATH and reports that version
tool_ok() {
  local tool="$1" want="$2" out
  command -v "${tool}" >/dev/null 2>&1 || return 1
  out="$("${tool}" --version 2>&1 || true)"
  grep -Fq "${want}" <<<"${out}"
}

# the version line dciodvfy prints for a dicom3tools Debian version:
# 1.00~20220618093127-2 -> "1.00.snapshot.20220618093127"
dicom3tools_reported() {
  local up
  up="$(upstream "$1")"
  printf '%s.snapshot.%s' "${up%%~*}" "${up#*~}"
}

# dciodvfy_ok -> 0 if dciodvfy is on PATH and reports the pinned dicom3tools version. It has no
# --version: `-version` prints "dicom3tools Version: ..." on stderr (and exits 0).
dciodvfy_ok() {
  local out
  command -v dciodvfy >/dev/null 2>&1 || return 1
  out="$(dciodvfy -version 2>&1 </dev/null || true)"
  grep -Fq "dicom3tools Version: $(dicom3tools_reported "${DICOM3TOOLS_VERSION}")" <<<"${out}"
}

want_gdcm=1
[[ "${DICOM_TOOLS_SKIP_GDCM:-0}" == "1" ]] && want_gdcm=0
want_d3t=1
[[ "${DICOM_TOOLS_SKIP_DICOM3TOOLS:-0}" == "1" ]] && want_d3t=0

dcmtk_ok=0
gdcm_ok=0
if [[ "$(installed_version dcmtk)" == "${DCMTK_VERSION}" ]] &&
  tool_ok dcmdump "$(upstream "${DCMTK_VERSION}")"; then
  dcmtk_ok=1
fi
if [[ "${want_gdcm}" == "0" ]] ||
  { [[ "$(installed_version libgdcm-tools)" == "${GDCM_VERSION}" ]] &&
    tool_ok gdcmdump "$(upstream "${GDCM_VERSION}")"; }; then
  gdcm_ok=1
fi
d3t_ok=0
if [[ "${want_d3t}" == "0" ]] ||
  { [[ "$(installed_version dicom3tools)" == "${DICOM3TOOLS_VERSION}" ]] && dciodvfy_ok; }; then
  d3t_ok=1
fi

if [[ "${dcmtk_ok}" == "1" && "${gdcm_ok}" == "1" && "${d3t_ok}" == "1" ]]; then
  log "dcmtk ${DCMTK_VERSION} already installed: $(dcmdump --version 2>&1 | head -n 1)"
  if [[ "${want_gdcm}" == "1" ]]; then
    log "libgdcm-tools ${GDCM_VERSION} already installed: $(gdcmdump --version 2>&1 | head -n 1)"
  fi
  if [[ "${want_d3t}" == "1" ]]; then
    log "dicom3tools ${DICOM3TOOLS_VERSION} already installed: $(dciodvfy -version 2>&1 </dev/null | head -n 1)"
  fi
  exit 0
fi

# --- we have to install -----------------------------------------------------
pkgs=()
[[ "${dcmtk_ok}" == "1" ]] || pkgs+=("dcmtk=${DCMTK_VERSION}")
[[ "${gdcm_ok}" == "1" ]] || pkgs+=("libgdcm-tools=${GDCM_VERSION}")
[[ "${d3t_ok}" == "1" ]] || pkgs+=("dicom3tools=${DICOM3TOOLS_VERSION}")

start=$(date +%s)
apt_install_pinned "${pkgs[@]}"
end=$(date +%s)

tool_ok dcmdump "$(upstream "${DCMTK_VERSION}")" ||
  die "dcmtk was installed but 'dcmdump --version' does not report $(upstream "${DCMTK_VERSION}")"
log "installed dcmtk ${DCMTK_VERSION}: $(dcmdump --version 2>&1 | head -n 1)"
if [[ "${want_gdcm}" == "1" ]]; then
  tool_ok gdcmdump "$(upstream "${GDCM_VERSION}")" ||
    die "libgdcm-tools was installed but 'gdcmdump --version' does not report $(upstream "${GDCM_VERSION}")"
  log "installed libgdcm-tools ${GDCM_VERSION}: $(gdcmdump --version 2>&1 | head -n 1)"
fi
if [[ "${want_d3t}" == "1" ]]; then
  dciodvfy_ok ||
    die "dicom3tools was installed but 'dciodvfy -version' does not report $(dicom3tools_reported "${DICOM3TOOLS_VERSION}")"
  log "installed dicom3tools ${DICOM3TOOLS_VERSION}: $(dciodvfy -version 2>&1 </dev/null | head -n 1)"
fi
log "done in $((end - start))s"
