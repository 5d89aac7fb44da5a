#!/usr/bin/env bash
# Release dry run: what a release would publish, checked the way it would be published, without
# publishing anything.
#
#   1. build and lint every public package (publint --strict, then attw on the packed tarball)
#   2. `changeset status`: pending changesets and the versions `npm run version-packages` would set
#   3. `npm publish --dry-run` for every public package, dependencies first (the order a real
#      `changeset publish` must respect so that no package reaches the registry before what it needs)
#   4. a table: package, version in package.json now, version after the pending changesets, tarball
#      size and file count, whether it has a CHANGELOG.md
#
# It cannot publish: every npm publish call carries --dry-run, npm_config_dry_run=true is exported
# for anything npm starts, and NODE_AUTH_TOKEN / NPM_TOKEN are removed. No login is needed.
#
# Usage: npm run release:dry-run

set -euo pipefail
cd "$(dirname "$0")/.."

export npm_config_dry_run=true
unset NODE_AUTH_TOKEN NPM_TOKEN
export TURBO_TELEMETRY_DISABLED=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The public packages (package.json without "private": true under packages/), each after the
# workspace packages in its "dependencies". Prints "name<TAB>folder" lines.
node --input-type=module > "$work/order.tsv" <<'EOF'
import { readdirSync, readFileSync, existsSync } from 'node:fs';
const packages = new Map();
for (const folder of readdirSync('packages')) {
  const path = `packages/${folder}/package.json`;
  if (!existsSync(path)) continue;
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  if (manifest.private !== true) packages.set(manifest.name, { folder: `packages/${folder}`, manifest });
}
const ordered = [];
const visiting = [];
const visit = (name) => {
  if (ordered.includes(name)) return;
  if (visiting.includes(name)) throw new Error(`dependency cycle: ${[...visiting, name].join(' -> ')}`);
  visiting.push(name);
  for (const dependency of Object.keys(packages.get(name).manifest.dependencies ?? {}).sort()) {
    if (packages.has(dependency)) visit(dependency);
  }
  visiting.pop();
  ordered.push(name);
};
for (const name of [...packages.keys()].sort()) visit(name);
for (const name of ordered) console.log(`${name}\t${packages.get(name).folder}`);
EOF
mapfile -t names < <(cut -f1 "$work/order.tsv")
[ "${#names[@]}" -gt 0 ] || { echo "no public packages under packages/" >&2; exit 1; }
echo "Public packages, dependencies first: ${names[*]}"

echo
echo "== 1/4 build, then publint --strict and attw --profile esm-only on each packed package"
filters=()
for name in "${names[@]}"; do filters+=("--filter=$name"); done
npx turbo run lint --output-logs=errors-only "${filters[@]}"

echo
echo "== 2/4 changeset status"
# Fails (and so does this script) when packages changed since main without a changeset.
npx changeset status
npx changeset status --output="$work/status.json"

echo
echo "== 3/4 npm publish --dry-run, dependencies first"
index=0
for name in "${names[@]}"; do
  index=$((index + 1))
  if ! npm publish --dry-run --json --workspace "$name" > "$work/publish-$index.json" 2> "$work/publish-$index.log"; then
    cat "$work/publish-$index.log" >&2
    echo "npm publish --dry-run failed for $name" >&2
    exit 1
  fi
  grep -E 'Publishing to' "$work/publish-$index.log" | sed "s|^npm notice |  $name: |" || true
done

echo
echo "== 4/4 what would be published"
node --input-type=module - "$work" <<'EOF'
import { existsSync, readFileSync } from 'node:fs';
const work = process.argv[2];
const order = readFileSync(`${work}/order.tsv`, 'utf8').trim().split('\n').map((line) => line.split('\t'));
const status = JSON.parse(readFileSync(`${work}/status.json`, 'utf8'));
const rows = [['package', 'version now', 'after version-packages', 'tarball', 'files', 'CHANGELOG.md']];
const looseRanges = [];
order.forEach(([name, folder], i) => {
  const published = JSON.parse(readFileSync(`${work}/publish-${i + 1}.json`, 'utf8'));
  const entry = published[name] ?? published;
  const release = status.releases.find((r) => r.name === name && r.type !== 'none');
  rows.push([
    name,
    entry.version,
    release ? `${release.newVersion} (${release.type})` : 'unchanged',
    `${(entry.size / 1024).toFixed(1)} kB`,
    String(entry.files.length),
    existsSync(`${folder}/CHANGELOG.md`) ? 'yes' : 'no',
  ]);
  const manifest = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'));
  for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
    if (order.some(([other]) => other === dependency) && range === '*') looseRanges.push(`${name} -> ${dependency}`);
  }
});
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
console.log();
console.log(`${status.changesets.length} pending changeset(s).`);
if (status.changesets.length > 0) {
  console.log('A release would first run `npm run version-packages` (versions and CHANGELOGs), commit, then `npx changeset publish`.');
}
if (looseRanges.length > 0) {
  const dependents = [...new Set(looseRanges.map((edge) => edge.split(' -> ')[0]))];
  console.log(`Note: ${looseRanges.length} internal dependency ranges are "*" (a published package would accept any future version of its siblings), in ${dependents.join(', ')}.`);
}
console.log('Dry run only: nothing was published.');
EOF
