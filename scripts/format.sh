#!/usr/bin/env bash
# Formats the sources: Prettier (.prettierrc.json) on the TypeScript and JavaScript of src, test, scripts and bin,
# clang-format (.clang-format) on the C kernels and runtime of templates/c. With --check it changes nothing and fails
# when a file is not formatted. clang-format comes with `npm run setup` (Debian's clang-format package).
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
  --check) check=true ;;
  '') ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac

mapfile -t c_files < <(find templates/c -name '*.c' -o -name '*.h' | sort)

if $check; then
  npx --no-install prettier --check src test scripts bin
else
  npx --no-install prettier --log-level warn --write src test scripts bin
fi

if ! command -v clang-format >/dev/null 2>&1; then
  echo "format: clang-format is not installed, so templates/c was not $($check && echo checked || echo formatted) (npm run setup installs it)" >&2
  $check && exit 1
  exit 0
fi
if $check; then
  clang-format --dry-run --Werror "${c_files[@]}"
else
  clang-format -i "${c_files[@]}"
fi
