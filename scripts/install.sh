#!/usr/bin/env bash
# Install everything the workbench needs on Debian (root, Python 3.11, no display required).
#   bash scripts/install.sh          the application
#   bash scripts/install.sh --test   the application, the test tools and what the tests drive
set -euo pipefail
cd "$(dirname "$0")/.."

# Libraries the Qt wheels load (xcb for a real window, EGL/GL, fontconfig), Xvfb for a window
# on a machine without a screen, poppler-utils to inspect printed PDFs.
apt_packages=(xvfb xauth libgl1 libegl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 poppler-utils)
if [ "${1:-}" = "--test" ]; then
  apt_packages+=(chromium)  # the web-map test opens the page in headless Chromium
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  python3 -m pip install -q ".[test]"
else
  python3 -m pip install -q .
fi
