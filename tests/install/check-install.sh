#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds a small consumer against it
# twice: once with find_package(netbroker), once with pkg-config. Both must link and run.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(find "$tmp/prefix" -name netcore.pc -printf '%h\n' | head -n1)/..

cmake -S "$src/consumer" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
LD_LIBRARY_PATH=$libdir "$tmp/cmake-build/consumer"

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -o "$tmp/consumer-pc" "$src/consumer/consumer.c" $(pkg-config --cflags --libs netcore netbroker)
LD_LIBRARY_PATH=$libdir "$tmp/consumer-pc"
echo "install check: find_package and pkg-config consumers ran"
