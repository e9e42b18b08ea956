#!/usr/bin/env bash
# Installs what the compliance report's real-browser tests need:
#
#   chromium           headless Chromium, driven by playwright-core (load, filter, screenshot, PDF)
#   poppler-utils      pdftotext: reads back the text of the PDF that Chromium prints
#   fonts-dejavu-core  a font, so that Chromium has glyphs to draw and the PDF has text to extract
#                      (chromium only recommends fonts, and --no-install-recommends skips them)
#
# from Debian's own archive with apt-get, pinned to the versions that Debian 12
# (bookworm) serves. Re-runs are quick: when the pinned versions are already
# installed and `chromium --version` / `pdftotext -v` answer, nothing is
# downloaded and apt is not touched.
#
#   scripts/setup-browser.sh
#
# Needs root (or password-less `sudo -n`). All messages go to stderr.
#
# When Debian moves a package (a point release or a security update replaces
# the pinned version; Chromium's security updates come every few weeks),
# `apt-cache policy chromium poppler-utils fonts-dejavu-core` shows the version
# served now: update the pins below in the same change.
set -euo pipefail

# --- pinned versions (Debian 12 "bookworm", main and bookworm-security) -----
CHROMIUM_VERSION="156.0.8078.114-1~deb12u1" # chromium --version: "Chromium 156.0.8078.114 built on Debian ..."
POPPLER_VERSION="22.12.0-2+deb12u3"         # pdftotext -v (on stderr): "pdftotext version 22.12.0"
FONTS_VERSION="2.37-6"                      # fonts-dejavu-core: no binary, dpkg's version only
# ---------------------------------------------------------------------------

log() { printf '[setup-browser] %s\n' "$*" >&2; }
# shellcheck source=lib/apt-pinned.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-pinned.sh"

# chromium_ok -> 0 if chromium is on PATH and reports the pinned version. It runs without a
# display: --version prints and exits before any window is made.
chromium_ok() {
  local out
  command -v chromium >/dev/null 2>&1 || return 1
  out="$(chromium --version 2>&1 </dev/null || true)"
  grep -Fq "Chromium $(upstream "${CHROMIUM_VERSION}")" <<<"${out}"
}

# chromium_version_line -> "Chromium 156.0... built on Debian ..." (Debian's launcher script may
# add shell noise on stderr, so only the version line is kept)
chromium_version_line() {
  chromium --version 2>/dev/null </dev/null | grep -m 1 '^Chromium' || true
}

# pdftotext_ok -> 0 if pdftotext is on PATH and reports the pinned poppler version. Its -v prints
# "pdftotext version 22.12.0" on stderr (and exits 0).
pdftotext_ok() {
  local out
  command -v pdftotext >/dev/null 2>&1 || return 1
  out="$(pdftotext -v 2>&1 </dev/null || true)"
  grep -Fq "pdftotext version $(upstream "${POPPLER_VERSION}")" <<<"${out}"
}

chromium_installed=0
poppler_installed=0
fonts_installed=0
if [[ "$(installed_version chromium)" == "${CHROMIUM_VERSION}" ]] && chromium_ok; then
  chromium_installed=1
fi
if [[ "$(installed_version poppler-utils)" == "${POPPLER_VERSION}" ]] && pdftotext_ok; then
  poppler_installed=1
fi
if [[ "$(installed_version fonts-dejavu-core)" == "${FONTS_VERSION}" ]]; then
  fonts_installed=1
fi

if [[ "${chromium_installed}" == "1" && "${poppler_installed}" == "1" && "${fonts_installed}" == "1" ]]; then
  log "chromium ${CHROMIUM_VERSION} already installed: $(chromium_version_line)"
  log "poppler-utils ${POPPLER_VERSION} already installed: $(pdftotext -v 2>&1 </dev/null | head -n 1)"
  log "fonts-dejavu-core ${FONTS_VERSION} already installed"
  exit 0
fi

# --- we have to install -----------------------------------------------------
pkgs=()
[[ "${chromium_installed}" == "1" ]] || pkgs+=("chromium=${CHROMIUM_VERSION}" "chromium-common=${CHROMIUM_VERSION}")
[[ "${poppler_installed}" == "1" ]] || pkgs+=("poppler-utils=${POPPLER_VERSION}")
[[ "${fonts_installed}" == "1" ]] || pkgs+=("fonts-dejavu-core=${FONTS_VERSION}")

start=$(date +%s)
apt_install_pinned "${pkgs[@]}"
end=$(date +%s)

chromium_ok ||
  die "chromium was installed but 'chromium --version' does not report $(upstream "${CHROMIUM_VERSION}")"
log "installed chromium ${CHROMIUM_VERSION}: $(chromium_version_line)"
pdftotext_ok ||
  die "poppler-utils was installed but 'pdftotext -v' does not report $(upstream "${POPPLER_VERSION}")"
log "installed poppler-utils ${POPPLER_VERSION}: $(pdftotext -v 2>&1 </dev/null | head -n 1)"
[[ "$(installed_version fonts-dejavu-core)" == "${FONTS_VERSION}" ]] ||
  die "fonts-dejavu-core ${FONTS_VERSION} is not installed after apt-get install"
log "installed fonts-dejavu-core ${FONTS_VERSION}"
log "done in $((end - start))s"
