#!/usr/bin/env bash
# Install the workbench into a virtual environment (.venv) beside this script's checkout, on Debian.
#   bash scripts/install.sh          the application
#   bash scripts/install.sh --test   the application, the test tools and the servers the tests start
# Debian's python3 refuses `pip install` into the system (PEP 668), so everything goes into .venv;
# the Python packages come at the versions in requirements/constraints.txt (the tests passed with
# them). Debian packages are installed with apt (through sudo when not root) only where missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Libraries the Qt wheels load (xcb for a real window, EGL/GL, fontconfig), Xvfb for a window on a
# machine without a screen, poppler-utils to inspect printed PDFs, python3-venv for .venv.
apt_packages=(python3-venv xvfb xauth libgl1 libegl1 libfontconfig1 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 poppler-utils)
if [ "${1:-}" = "--test" ]; then
  # chromium opens the web map; PostgreSQL + PostGIS are started by the tests themselves;
  # gdal-bin's ogr2ogr is the GDAL SQL baseline of the benchmarks.
  apt_packages+=(chromium postgresql postgis gdal-bin)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
# Editable: `suichang-gis`, main.py and Dask workers started from .venv all run this checkout's
# code, also after a `git pull`, without installing again.
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/constraints.txt -e ".$extras"
