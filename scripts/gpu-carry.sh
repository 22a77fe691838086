#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has no network and maybe no Node:
# this node binary (xz), the production node_modules (cmake-js, node-addon-api, node-api-headers,
# bindings, zod) and the compiled JavaScript (dist/, dist-test/). Everything else the check needs
# is the checkout itself. The folder must be ignored by git (.device/ is) and carried along.
#
#   scripts/gpu-carry.sh [DIR]      (default .device; prints each file's size and the total)
#
# On the GPU machine: scripts/gpu-check.sh --carried DIR OUTDIR
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-.device}
cd "$root"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

node_bin=$(readlink -f "$(command -v node)")
echo "gpu-carry: node $(node --version) from $node_bin"
xz -6 -T0 -c "$node_bin" > "$dir/node.xz.tmp" && mv "$dir/node.xz.tmp" "$dir/node.xz"

# the production dependencies only, from the lock file, without running any install script
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp package.json package-lock.json "$stage/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
tar -C "$stage" -cJf "$dir/node_modules.tar.xz.tmp" node_modules && mv "$dir/node_modules.tar.xz.tmp" "$dir/node_modules.tar.xz"

node_modules/.bin/tsc -p tsconfig.json
node_modules/.bin/tsc -p tsconfig.test.json
tar -cJf "$dir/dist.tar.xz.tmp" dist dist-test && mv "$dir/dist.tar.xz.tmp" "$dir/dist.tar.xz"

du -b "$dir"/node.xz "$dir"/node_modules.tar.xz "$dir"/dist.tar.xz | awk '{ printf "gpu-carry: %6.1f MiB  %s\n", $1 / 1048576, $2; t += $1 } END { printf "gpu-carry: %6.1f MiB  in all (the carry limit is 64 MiB with the checkout)\n", t / 1048576 }'
