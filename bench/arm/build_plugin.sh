#!/usr/bin/env bash
# Build the instruction-counting qemu TCG plugin (bench/arm/insn_count.c) and print its path.
#   1. Debian's dynamic qemu-user (qemu-static builds cannot load plugins) and libglib2.0-dev,
#      via apt-get when missing (needs root then);
#   2. include/qemu/qemu-plugin.h from Debian's qemu source package (a deb-src entry copied from
#      the Debian sources file, `apt-get source --download-only qemu`), cached;
#   3. gcc -shared against it; the library is cached by the source's and header's hash.
# Cache: ${MOSFACE_NCNN_CACHE:-~/.cache/mosface}/qemu-plugin. The last stdout line is the plugin.
# Usage: bench/arm/build_plugin.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MOSFACE_NCNN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mosface}/qemu-plugin
SOURCE=$HERE/insn_count.c
DEB_SRC_LIST=/etc/apt/sources.list.d/mosface-deb-src.sources
mkdir -p "$CACHE"

if ! command -v qemu-aarch64 > /dev/null || ! pkg-config --exists glib-2.0; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user libglib2.0-dev pkg-config >&2
fi

# The header must come from the qemu we run: the cache folder is named after its version.
QEMU_VERSION=$(dpkg-query -W -f '${source:Version}' qemu-user)  # without a binNMU suffix
HEADER_DIR=$CACHE/include-${QEMU_VERSION//[:+~]/_}
if [ ! -f "$HEADER_DIR/qemu-plugin.h" ]; then
    if ! apt-get source --print-uris qemu 2> /dev/null | grep orig >/dev/null; then
        # Same archive and suite as the binary packages, source type (Debian's deb822 format).
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$DEB_SRC_LIST"
        apt-get update -qq >&2
    fi
    work=$(mktemp -d)
    chmod 755 "$work"  # apt downloads as its _apt user where it can
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get source --download-only -qq "qemu=$QEMU_VERSION" >&2)
    tarball=$(compgen -G "$work/qemu_*.orig.tar.*" | sed -n 1p)
    tar -xf "$tarball" -C "$work" --wildcards '*/include/qemu/qemu-plugin.h'
    mkdir -p "$HEADER_DIR.tmp"
    cp "$(compgen -G "$work/*/include/qemu/qemu-plugin.h")" "$HEADER_DIR.tmp/qemu-plugin.h"
    mv "$HEADER_DIR.tmp" "$HEADER_DIR"
fi

KEY=$(cat "$SOURCE" "$HEADER_DIR/qemu-plugin.h" | sha256sum | cut -c1-12)
PLUGIN=$CACHE/libinsn_count-$KEY.so
if [ ! -f "$PLUGIN" ]; then
    # shellcheck disable=SC2046  # pkg-config prints several flags
    gcc -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC -I"$HEADER_DIR" $(pkg-config --cflags glib-2.0) \
        "$SOURCE" -o "$PLUGIN.tmp"
    mv "$PLUGIN.tmp" "$PLUGIN"
fi
echo "$PLUGIN"
