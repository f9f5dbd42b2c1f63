#!/usr/bin/env bash
# Releases the action: tags the current commit vX.Y.Z, moves the major tag (v1) to it, and
# pushes both to origin. Refuses when the working tree is not clean or when dist/ is not
# what the bundle script builds from the source, since runners execute dist/ as committed.
#
#   scripts/release.sh v1.2.3
set -euo pipefail

fail() {
  echo "release: $*" >&2
  exit 1
}

version="${1:-}"
[[ "$version" =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]] || fail "give the version as vX.Y.Z, such as v1.2.3 (got \"$version\")"
major="v${BASH_REMATCH[1]}"

cd "$(git rev-parse --show-toplevel)"

if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  git status --short >&2
  fail "the working tree has changes (listed above): commit or remove them first"
fi
if git rev-parse -q --verify "refs/tags/$version" >/dev/null; then
  fail "the tag $version exists already: choose the next version"
fi

# The bundle script of package.json, writing to a temporary folder instead of dist/.
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
bundle="$(node -e '
  const script = require("./package.json").scripts.bundle;
  if (!/ -o dist( |$)/.test(script)) { console.error("the bundle script must write to dist with -o dist"); process.exit(1); }
  console.log(script.replace(/ -o dist( |$)/, ` -o ${process.argv[1]}$1`));
' "$fresh")"
echo "release: building the source into $fresh to compare with dist/"
PATH="$PWD/node_modules/.bin:$PATH" bash -c "$bundle" >/dev/null
if ! diff -r "$fresh" dist >/dev/null; then
  diff -rq "$fresh" dist >&2 || true
  fail "dist/ is stale: run npm run bundle, commit dist/ with the source, and release again"
fi

git tag -a "$version" -m "$version"
git tag -f -a "$major" -m "$major (now $version)" "$version^{commit}" >/dev/null
git push origin "$version"
git push --force origin "$major"
echo "release: $version tagged, $major moved to it, both pushed"
