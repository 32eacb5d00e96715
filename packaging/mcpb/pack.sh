#!/usr/bin/env bash
# Packs the MCP Bundle: packaging/mcpb/manifest.json plus one built binary, for one platform.
#   usage: packaging/mcpb/pack.sh <path/to/binance-mcp[.exe]> <out.mcpb> <darwin|linux|win32>
# Needs Node and the pinned CLI: `npm ci --prefix packaging` (packaging/package-lock.json), or
# MCPB=/path/to/mcpb.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$1"
out="$2"
platform="$3"
mcpb="${MCPB:-$here/../node_modules/.bin/mcpb}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/server"
cp "$binary" "$stage/server/"
chmod +x "$stage/server/"*
# A bundle carries one platform's binary: it says so, and hosts on other platforms refuse it.
node -e '
  const fs = require("fs");
  const [src, dst, platform] = process.argv.slice(1);
  const m = JSON.parse(fs.readFileSync(src, "utf8"));
  m.compatibility.platforms = [platform];
  fs.writeFileSync(dst, JSON.stringify(m, null, 2) + "\n");
' "$here/manifest.json" "$stage/manifest.json" "$platform"

"$mcpb" validate "$stage/manifest.json"
"$mcpb" pack "$stage" "$out"
