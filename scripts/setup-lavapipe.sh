#!/usr/bin/env bash
# Mesa 25's lavapipe (Vulkan on the CPU) for the webgpu tests on machines without a GPU.
# Dawn (npm `webgpu`) refuses Debian 12's own lavapipe (Mesa 22.3); bookworm-backports' works.
# The driver goes into a private prefix (default .lavapipe/ in the project): no system upgrade,
# nothing installed but plain-bookworm runtime libraries the driver links against (needs root
# once). Idempotent and locked, so parallel test processes may all call it. Prints the ICD
# manifest to point the Vulkan loader at: VK_DRIVER_FILES=<that file>.
set -euo pipefail
PREFIX="${LVP_PREFIX:-$(cd "$(dirname "$0")/.." && pwd)/.lavapipe}"
mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
ICD="$PREFIX/lvp_icd.json"
LIB="$PREFIX/root/usr/lib/x86_64-linux-gnu"

exec 9>"$PREFIX/.lock"
flock 9
if [ -f "$ICD" ] && [ -f "$LIB/libvulkan_lvp.so" ]; then echo "$ICD"; exit 0; fi

# 1. the Vulkan loader and the driver's runtime libraries, from plain bookworm
DEPS=(libvulkan1 libllvm15 libdrm2 libelf1 libexpat1 libzstd1 zlib1g libwayland-client0 libx11-xcb1 libxcb1
      libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxshmfence1)
if ! dpkg -s "${DEPS[@]}" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "setup-lavapipe: run once as root to install ${DEPS[*]}" >&2; exit 1; }
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${DEPS[@]}" >&2
fi

# 2. download (not install) the backports driver through a private apt configuration
mkdir -p "$PREFIX"/{lists/partial,cache/archives/partial,debs,root}
echo "deb http://deb.debian.org/debian bookworm-backports main" > "$PREFIX/sources.list"
APT=(-o Dir::Etc::SourceList="$PREFIX/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$PREFIX/lists" -o Dir::Cache="$PREFIX/cache" -o APT::Sandbox::User=root)
apt-get "${APT[@]}" update -qq >&2
(cd "$PREFIX/debs" && apt-get "${APT[@]}" download -qq mesa-vulkan-drivers/bookworm-backports >&2)
for deb in "$PREFIX"/debs/*.deb; do dpkg -x "$deb" "$PREFIX/root"; done

# 3. the ICD manifest with the driver's absolute path (it needs no LD_LIBRARY_PATH)
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$LIB/libvulkan_lvp.so\"#" \
  "$PREFIX/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$ICD.tmp"
mv "$ICD.tmp" "$ICD"
echo "$ICD"
