#!/usr/bin/env bash
# Installs the Debian 12 packages srtpsdes needs to build, test and run its demo.
# Idempotent: packages already installed are skipped; nothing is done when all are present.
# Must run as root (or with sudo available) on Debian 12 (bookworm).
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config
  libglib2.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libsrtp2-dev libssl-dev
  libsofia-sip-ua-glib-dev
  libpcap-dev
  libjson-glib-dev
  check
  # GObject introspection of libsrtpsdes-1.0 (namespace Sdes) and its Python test
  gobject-introspection libgirepository1.0-dev python3-gi
  # run: plugins used by the demo and tests (stock srtpenc/srtpdec live in -bad)
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  openssl
  # test tools: sanitizers, valgrind, fuzzing, SIP peer, capture, audio analysis
  clang libclang-rt-14-dev valgrind sip-tester tshark sox
  # an independent SDES implementation for the interop suite (liblinphone)
  linphone-cli
  # API reference (meson -Ddoc=enabled) and the scale-out test (SIP proxy, dispatcher module)
  gi-docgen kamailio
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
