#!/usr/bin/env bash
# Runs the test suite (or the vitest arguments given) on another Node.js major version. The binary is the official
# one, published on the npm registry as `node-linux-<arch>`, fetched once into .cache/node-<major>/. This machine
# has Node 20; the code must also run on 22 and 24 (docs/testing.md).
#
#   scripts/test-on-node.sh 24                  # the whole suite on the latest Node 24
#   scripts/test-on-node.sh 22 test/package     # one folder
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:?usage: scripts/test-on-node.sh MAJOR [vitest arguments…]}"
shift
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no node-linux binary package for $(uname -m)" >&2; exit 1 ;;
esac
dir=".cache/node-$major"
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  tgz="$(cd "$dir" && npm pack --silent "node-linux-$arch@$major")"
  tar -xzf "$dir/$tgz" -C "$dir"
  rm "$dir/$tgz"
fi
export PATH="$PWD/$dir/package/bin:$PATH"
echo "node $(node --version)"
exec node node_modules/vitest/vitest.mjs run "$@"
