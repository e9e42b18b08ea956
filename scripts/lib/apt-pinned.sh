# Shared by the setup scripts that install pinned Debian packages (setup-dicom-tools.sh,
# setup-browser.sh): source it after defining `log` (messages go to stderr, prefixed with the
# script's name). Needs bash.

die() {
  log "ERROR: $*"
  exit 1
}

# upstream part of a Debian version: 3.6.7-9~deb12u4 -> 3.6.7, 1:2.0-1 -> 2.0
upstream() {
  local v="${1#*:}"
  printf '%s' "${v%-*}"
}

# installed_version PKG -> the dpkg version of PKG, or nothing
installed_version() {
  dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
    awk '$1 == "install" && $3 == "installed" { print $4 }'
}

# candidate_has PKG VERSION -> 0 if apt offers that version now (from the current lists)
candidate_has() {
  apt-cache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -Fxq "$2"
}

# apt_install_pinned PKG=VERSION... -> installs exactly those versions with apt-get, as root or
# through password-less sudo; refreshes the lists only when a pin is not offered by the current
# ones, and stops (naming the pin to update) when Debian no longer serves a pinned version.
apt_install_pinned() {
  command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: this script installs $* from Debian's archive (Debian 12 bookworm). Install them with your system's package manager instead."
  local sudo=()
  if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      sudo=(sudo -n)
      log "not root: using sudo -n"
    else
      die "must run as root (or with password-less sudo) to apt-get install $*. Re-run as: sudo $0"
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  local spec need_update=0
  for spec in "$@"; do
    candidate_has "${spec%%=*}" "${spec#*=}" || need_update=1
  done
  if [[ "${need_update}" == "1" ]]; then
    log "apt-get update ..."
    "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed (no network or no Debian mirror reachable?)"
  fi
  for spec in "$@"; do
    candidate_has "${spec%%=*}" "${spec#*=}" ||
      die "apt does not offer ${spec} (apt-cache policy ${spec%%=*} shows what is served: $(apt-cache policy "${spec%%=*}" 2>/dev/null | awk '/Candidate/ { print $2 }')). Update the pin in $0."
  done
  log "apt-get install $* ..."
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2 ||
    die "apt-get install $* failed"
}
