#!/usr/bin/env bash
# Vendors the explorer's front-end libraries from npm into
# explorer/assets/vendor (embedded into the binary with embed.FS, so the
# explorer needs no internet). Reproducible: the versions are exact in
# scripts/explorer-vendor/package.json and `npm ci` checks every tarball
# against the integrity hashes in its package-lock.json. Run it after
# changing a version there (then `npm install --package-lock-only`), and
# commit the result; the build itself never runs npm.
#
#   leaflet          the map (BSD-2-Clause)
#   world-atlas      Natural Earth countries, 1:50m and 1:110m, TopoJSON (ISC; data public domain)
#   topojson-client  TopoJSON → GeoJSON in the browser (ISC)
#   uplot            time-series charts (MIT)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/scripts/explorer-vendor/package.json" "$root/scripts/explorer-vendor/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --silent)
m="$work/node_modules"
out="$root/explorer/assets/vendor"
rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/world-atlas" "$out/topojson-client" "$out/uplot"
cp "$m/leaflet/dist/leaflet.js" "$m/leaflet/dist/leaflet.css" "$m/leaflet/LICENSE" "$out/leaflet/"
cp "$m/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$m/world-atlas/countries-50m.json" "$m/world-atlas/countries-110m.json" "$m/world-atlas/LICENSE" "$out/world-atlas/"
cp "$m/topojson-client/dist/topojson-client.min.js" "$m/topojson-client/LICENSE" "$out/topojson-client/"
cp "$m/uplot/dist/uPlot.iife.min.js" "$m/uplot/dist/uPlot.min.css" "$m/uplot/LICENSE" "$out/uplot/"
# A manifest of what was copied, with versions and hashes, for review.
(
  cd "$out"
  for p in leaflet world-atlas topojson-client uplot; do
    echo "$p $(node -p "require('$m/$p/package.json').version")"
  done
  echo
  find . -type f ! -name MANIFEST | LC_ALL=C sort | xargs sha256sum
) > "$out/MANIFEST"
echo "vendored into $out:"
cat "$out/MANIFEST"
