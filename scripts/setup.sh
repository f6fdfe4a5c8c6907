#!/usr/bin/env bash
# Installs the Debian packages eennc needs (cross compiler, newlib, QEMU, host gcc and make, test data),
# clang-format (npm run format) and chromium (the tests open report.html in it, headless), only those missing: quick
# and quiet when everything is there. `eennc doctor` checks the same things but clang-format and chromium. Then checks
# that Node.js is as recent as package.json's engines field asks.
set -euo pipefail

PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc make libonnx-testdata dataset-fashion-mnist clang-format chromium)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "eennc setup: apt-get/dpkg not found: this script installs Debian packages." >&2
  echo "Install the equivalents of: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

# Node.js runs the compiler itself; Debian's package is used only where none is installed.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

# The Node.js that package.json's engines field asks for (">=X.Y"): a distribution may ship an older one.
check_node() {
  local needed
  needed=$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(p.engines.node.replace(/^>=\s*/, ""))' "$(dirname "$0")/../package.json")
  if ! node -e 'const [a, b] = [process.versions.node, process.argv[1]].map((v) => v.split(".").map(Number)); process.exit(a[0] > b[0] || (a[0] === b[0] && a[1] >= (b[1] ?? 0)) ? 0 : 1)' "$needed"; then
    echo "eennc setup: Node.js $(node --version) is too old: eennc needs $needed or later" >&2
    echo "Install a newer one (https://nodejs.org/en/download, or your distribution's backports), then run this again." >&2
    exit 1
  fi
}

if [ "${#missing[@]}" -eq 0 ]; then
  check_node
  echo "eennc setup: all packages are installed (${PACKAGES[*]})"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  else
    echo "eennc setup: installing needs root. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "eennc setup: installing ${missing[*]}"
${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
check_node
echo "eennc setup: done"
