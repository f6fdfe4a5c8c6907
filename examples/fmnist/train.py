#!/usr/bin/python3
"""Trains the Fashion-MNIST example CNN and exports it to ONNX with its test data.

Reads the IDX files of Debian's dataset-fashion-mnist, trains a two-layer CNN
(with BatchNorm, which eennc folds) for a few epochs with Adam on the CPU, and
writes next to this script:

  fmnist_cnn.onnx        opset 13, input `input` float32 [1,1,28,28] in [0,1],
                         output `logits` float32 [1,10]
  test_inputs.npy        first 16 test images, float32 [16,1,28,28], x/255
  test_inputs_u8.npy     the same images as uint8 [16,1,28,28]
  test_labels.npy        their labels, int64 [16]
  expected_float.npy     PyTorch float32 logits for test_inputs, [16,10]

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/fmnist/train.py [--epochs 4] [--data DIR]
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

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SEED = 20240607
TEST_SAMPLES = 16


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
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return images[:, None, :, :].copy(), labels.astype(np.int64)


class FashionCnn(nn.Module):
    """Conv-BN-ReLU-Pool x2, then two fully connected layers; about 1.1 M MACs."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        # PyTorch-style flatten through the tensor's own size: the exporter
        # turns it into a Shape/Gather/Unsqueeze/Concat -> Reshape chain.
        x = x.reshape(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def count_macs(model):
    """MACs of one inference, counted per layer from the known output sizes."""
    conv1 = 28 * 28 * 16 * 1 * 9
    conv2 = 14 * 14 * 32 * 16 * 9
    fc = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
    return conv1 + conv2 + fc


def evaluate(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float() / 255.0
            correct += (model(x).argmax(1).numpy() == labels[i:i + batch]).sum()
    return correct / len(images)


def main(make_model=None, name="fmnist_cnn", epochs=4, lr=2e-3, out=HERE, description=None,
         macs_of=None, write_u8=True):
    """Train, evaluate and export; examples/fmnist_small/train.py calls this with its own network."""
    make_model = make_model or FashionCnn
    macs_of = macs_of or count_macs
    parser = argparse.ArgumentParser(description=(description or __doc__).split("\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--out", default=out)
    args = parser.parse_args()

    torch.set_num_threads(2)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    print(f"train {train_x.shape} test {test_x.shape}")

    model = make_model()
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters {params}  MACs {macs_of(model)}")

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * ((len(train_x) + args.batch - 1) // args.batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    order_rng = np.random.default_rng(SEED)
    train_t = torch.from_numpy(train_x)
    train_labels = torch.from_numpy(train_y)
    for epoch in range(args.epochs):
        start = time.time()
        model.train()
        order = torch.from_numpy(order_rng.permutation(len(train_x)))
        total_loss = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            x = train_t[idx].float() / 255.0
            loss = F.cross_entropy(model(x), train_labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(idx)
        acc = evaluate(model, test_x, test_y)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / len(order):.4f}  "
              f"test accuracy {acc * 100:.2f}%  ({time.time() - start:.0f} s)")

    model.eval()
    final_acc = evaluate(model, test_x, test_y)
    print(f"final test accuracy {final_acc * 100:.2f}% on {len(test_x)} images")

    inputs_u8 = test_x[:TEST_SAMPLES]
    inputs = inputs_u8.astype(np.float32) / np.float32(255.0)
    labels = test_y[:TEST_SAMPLES]
    with torch.no_grad():
        expected = model(torch.from_numpy(inputs)).numpy().astype(np.float32)
    np.save(os.path.join(args.out, "test_inputs.npy"), inputs)
    if write_u8:
        np.save(os.path.join(args.out, "test_inputs_u8.npy"), inputs_u8)
    np.save(os.path.join(args.out, "test_labels.npy"), labels)
    np.save(os.path.join(args.out, "expected_float.npy"), expected)
    print(f"first {TEST_SAMPLES} test images: {(expected.argmax(1) == labels).sum()} correct")

    onnx_path = os.path.join(args.out, name + ".onnx")
    # TrainingMode.PRESERVE on a model in eval mode exports inference graphs but
    # skips the exporter's Conv+BatchNorm fusion, so BatchNormalization nodes
    # stay in the file for eennc to fold. No dynamic_axes: batch is fixed at 1.
    torch.onnx.export(model, torch.from_numpy(inputs[:1]), onnx_path,
                      input_names=["input"], output_names=["logits"],
                      opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    check_onnx(onnx_path)
    print(f"wrote {onnx_path}")


def check_onnx(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in value.type.tensor_type.shape.dim]
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise ValueError(f"{path}: {value.name} has a non-static shape {dims}")
        print(f"  {value.name}: {dims}")
    ops = sorted({n.op_type for n in graph.node})
    print(f"  operators: {', '.join(ops)}")


if __name__ == "__main__":
    main()
