#!/usr/bin/env bash
# Quick start: install what eennc needs (Debian packages, npm dependencies), then build the bundled Fashion-MNIST
# example for Cortex-M4 in int8 (calibrated on 1,000 training images), run its test images in QEMU and print the
# predicted classes and instruction counts.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# npm ci installs exactly what package-lock.json lists, and compiles the command into dist/ (the prepare script).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
node scripts/build.mjs --if-stale

echo "classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot"
echo "labels of the 8 images: $(node -e "
  const b = require('fs').readFileSync('examples/fmnist/test_labels.npy');
  const off = 10 + b.readUInt16LE(8);
  const out = [];
  for (let i = 0; i < 8; i++) out.push(Number(b.readBigInt64LE(off + 8 * i)));
  console.log(out.join(' '));")"
exec node bin/eennc.js run examples/fmnist/fmnist_cnn.onnx --target cortex-m4 \
  --calib examples/fmnist/calib_u8.npy --calib-scale 1/255 \
  --input examples/fmnist/test_inputs.npy --count 8 -o build/fmnist_cnn-cortex-m4 "$@"
