#!/usr/bin/python3
"""Trains the accuracy bench's small-margin Fashion-MNIST CNN and exports it to ONNX.

A model like one a user trained elsewhere in a hurry: narrow (8/16/16 channels),
trained for a few epochs on a subset of the training images, so its logits lie
close together and int8 rounding flips more of its answers than it does on the
examples. `npm run bench:accuracy` trains it into a temporary directory on every
run (seeded, so every run gets the same weights up to PyTorch's threading); it is
not a shipped example.

Architecture: three blocks of Conv 3x3 (pad 1, no bias) + BatchNorm + ReLU +
MaxPool 2x2 (28 -> 14 -> 7 -> 3), global average pooling, one Linear 16->10.

Writes into --out:
  small_margin.onnx  opset 13, input `input` float32 [1,1,28,28] in [0,1],
                     output `logits` float32 [1,10]
  calib.npy          --calib-count training images not used for training,
                     float32 [N,1,28,28] in [0,1] (x / 255)

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 scripts/accuracy/train_small_margin.py --out DIR
"""

import argparse
import gzip
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
SEED = 20261207
# Channels of the three convolutions: narrow on purpose, so that few features carry each decision.
CHANNELS = (8, 16, 16)
CLASSES = 10
# One thread: on a busy 2-core machine two PyTorch threads wait on each other and train many times slower.
THREADS = 1


def read_idx(path):
    """Reads a gzipped IDX file (big-endian header, uint8 payload) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def load_split(data_dir, prefix):
    """Images as uint8 [N,1,28,28] and labels as int64 [N]."""
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return images[:, None, :, :].copy(), labels.astype(np.int64)


class SmallMarginCnn(nn.Module):
    """Three Conv-BN-ReLU-MaxPool blocks, global average pooling, one Linear."""

    def __init__(self):
        super().__init__()
        blocks = []
        channels_in = 1
        for channels in CHANNELS:
            blocks += [nn.Conv2d(channels_in, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                       nn.ReLU(), nn.MaxPool2d(2)]
            channels_in = channels
        self.features = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels_in, CLASSES)

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=(2, 3))
        return self.fc(x)


def accuracy(model, images, labels, batch=1000):
    """Top-1 of `model` on uint8 images."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float() / 255.0
            correct += int((model(x).argmax(1).numpy() == labels[i:i + batch]).sum())
    return correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory to write the model and calibration images into")
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--train-count", type=int, default=14000, help="training images used (the first N)")
    parser.add_argument("--calib-count", type=int, default=200, help="calibration images written (after the training ones)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    started = time.time()
    train_x, train_y = load_split(args.data, "train")
    if args.train_count + args.calib_count > len(train_x):
        parser.error(f"--train-count + --calib-count must be at most {len(train_x)}")
    calib_x = train_x[args.train_count:args.train_count + args.calib_count]
    train_x, train_y = train_x[:args.train_count], train_y[:args.train_count]

    model = SmallMarginCnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    order_rng = np.random.default_rng(args.seed)
    train_t = torch.from_numpy(train_x)
    labels_t = torch.from_numpy(train_y)
    for epoch in range(args.epochs):
        model.train()
        order = torch.from_numpy(order_rng.permutation(len(train_x)))
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            loss = F.cross_entropy(model(train_t[idx].float() / 255.0), labels_t[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(order):.4f} ({time.time() - started:.0f} s)", flush=True)
    test_x, test_y = load_split(args.data, "t10k")
    print(f"top-1 {100 * accuracy(model, train_x, train_y):.2f}% on the {len(train_x)} training images, "
          f"{100 * accuracy(model, test_x, test_y):.2f}% on the {len(test_x)} test images", flush=True)

    model.eval()
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "calib.npy"), calib_x.astype(np.float32) / np.float32(255.0))
    onnx_path = os.path.join(args.out, "small_margin.onnx")
    # TrainingMode.PRESERVE keeps the BatchNormalization nodes (eennc folds them), as a user's export often does.
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, input_names=["input"], output_names=["logits"],
                      opset_version=13, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    print(f"wrote {onnx_path} and {len(calib_x)} calibration images ({time.time() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
