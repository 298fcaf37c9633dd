# Sourced by scripts/test.sh and scripts/demo.sh (run from the repository root).
# bootstrap_tools: apt-get install the system tools the tests use, only those missing.
# bootstrap_pnpm_install: pnpm 10.34.8 on PATH, then `pnpm install --frozen-lockfile`.

PNPM_VERSION=10.34.8

_gst_has() { gst-inspect-1.0 --exists "$1" >/dev/null 2>&1; }

bootstrap_tools() {
  local -a pkgs=()
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || pkgs+=(chromium)
  { command -v mkvinfo && command -v mkvmerge; } >/dev/null || pkgs+=(mkvtoolnix)
  { command -v ffmpeg && command -v ffprobe; } >/dev/null || pkgs+=(ffmpeg)
  command -v gst-launch-1.0 >/dev/null || pkgs+=(gstreamer1.0-tools)
  # One element from each plugin set the tests use.
  _gst_has audiotestsrc || pkgs+=(gstreamer1.0-plugins-base)
  _gst_has matroskamux || pkgs+=(gstreamer1.0-plugins-good)
  _gst_has x264enc || pkgs+=(gstreamer1.0-plugins-ugly)
  if [ ${#pkgs[@]} -eq 0 ]; then
    echo "tools: chromium, mkvtoolnix, ffmpeg, gstreamer present"
    return 0
  fi
  echo "tools: missing ${pkgs[*]}"
  local -a sudo=()
  if [ "${KVS_SKIP_APT:-}" = 1 ] || ! command -v apt-get >/dev/null; then
    echo "tools: not installing (KVS_SKIP_APT=1 or no apt-get); tests that need them will fail" >&2
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "tools: not root and no passwordless sudo; install them by hand: apt-get install ${pkgs[*]}" >&2
      return 0
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 "${sudo[@]}" apt-get update -qq &&
    timeout 900 "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
    echo "tools: apt-get failed; tests that need ${pkgs[*]} will fail" >&2
}

bootstrap_pnpm_install() {
  if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    echo "pnpm: installing $PNPM_VERSION"
    if ! npm install -g --silent --no-audit --no-fund "pnpm@$PNPM_VERSION" >/dev/null 2>&1 ||
      [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
      # No write access to npm's global prefix (or another pnpm first on PATH): use a private prefix.
      local prefix="${XDG_CACHE_HOME:-$HOME/.cache}/kvs-ts/pnpm-$PNPM_VERSION"
      npm install --silent --no-audit --no-fund --prefix "$prefix" "pnpm@$PNPM_VERSION" >/dev/null || return 1
      export PATH="$prefix/node_modules/.bin:$PATH"
    fi
  fi
  echo "pnpm $(pnpm --version): install --frozen-lockfile"
  timeout 900 pnpm install --frozen-lockfile --config.confirmModulesPurge=false
}
