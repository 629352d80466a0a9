#!/usr/bin/env bash
# Installs what the renderer tests need, idempotently: Debian's chromium, the npm packages, and the Teams
# light host config and stylesheet from Microsoft's adaptivecards-designer package (data files only).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
if [ ! -d node_modules/adaptivecards ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/markdown-it ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi
if [ ! -f vendor/microsoft-teams-light.json ] || [ ! -f vendor/teams-container-light.css ]; then
  mkdir -p vendor
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent adaptivecards-designer@2.4.4 >/dev/null)
  tar -xzf "$work"/adaptivecards-designer-2.4.4.tgz -C "$work" \
    package/lib/hostConfigs/microsoft-teams-light.json package/dist/containers/teams-container-light.css
  cp "$work"/package/lib/hostConfigs/microsoft-teams-light.json vendor/
  cp "$work"/package/dist/containers/teams-container-light.css vendor/
  rm -rf "$work"
fi
