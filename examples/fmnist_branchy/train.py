#!/usr/bin/python3
"""Trains the BranchyNet-style Fashion-MNIST CNN (three exits) and exports it to ONNX with its exits and test data.

Reads the IDX files of Debian's dataset-fashion-mnist, trains a three-layer CNN
with two early exits (BranchyNet style: each exit a small pooling and one fully
connected layer off the backbone) jointly, on a weighted sum of the exits'
cross-entropy losses, with Adam on the CPU. Holds back part of the training
images to choose the exit thresholds, and writes next to this script:

  fmnist_branchy.onnx    opset 13, input `input` float32 [1,1,28,28] in [0,1],
                         outputs `exit0`, `exit1`, `logits` float32 [1,10]
                         (logits, no softmax; `logits` is the final classifier),
                         metadata_props eennc.exits, eennc.exit_policy and
                         eennc.exit_thresholds
  test_inputs.npy        first 16 test images, float32 [16,1,28,28], x/255
  test_inputs_u8.npy     the same images as uint8 [16,1,28,28]
  test_labels.npy        their labels, int64 [16]
  expected_float.npy     PyTorch float32 logits of the final classifier, [16,10]
  expected_exits.npy     PyTorch float32 logits of every exit, [3,16,10]
                         (exit0, exit1, logits)
  calib_u8.npy           1,000 training images (none of the held-back ones),
                         uint8 [1000,1,28,28], for int8 calibration

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/fmnist_branchy/train.py [--epochs 6] [--data DIR]
"""

import argparse
import importlib.util
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Data reading and the ONNX check are those of the Fashion-MNIST example.
_spec = importlib.util.spec_from_file_location("fmnist_train", os.path.join(HERE, "..", "fmnist", "train.py"))
fmnist_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fmnist_train)

SEED = 20261207
TEST_SAMPLES = 16
CALIB_SAMPLES = 1000
VALIDATION_SAMPLES = 5000
EXIT_NAMES = ["exit0", "exit1", "logits"]
# Weights of the exits' cross-entropy losses in the joint loss (BranchyNet trains all exits at once).
LOSS_WEIGHTS = [1.0, 0.8, 1.0]
POLICY = "max-softmax"
# Top-1 the thresholds may give up on the validation split against running every layer, in points; below the
# 1 point budget so that the int8 build on the test images stays within it.
VALIDATION_BUDGET = 0.4

# Instructions per MAC of the int8 kernels on cortex-m4, measured by eennc's benches: the first convolution
# (one input channel) is dearer per MAC than the later ones. Used only to rank thresholds; eennc measures the
# real cost of each exit on the target.
COST_PER_MAC = {"first_conv": 6.0, "conv": 1.5, "fc": 1.7}


class BranchyFashionCnn(nn.Module):
    """Three Conv-BN-ReLU layers with an exit after the first two and the final classifier after the third."""

    def __init__(self):
        super().__init__()
        # Backbone. The first convolution is strided and narrow: on one input channel it is the dearest per MAC.
        self.conv1 = nn.Conv2d(1, 8, 5, stride=2, padding=2, bias=False)  # 28 -> 14
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 32, 3, padding=1, bias=False)  # 14 -> 14, max pool -> 7
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)  # 7 -> 7, max pool -> 3
        self.bn3 = nn.BatchNorm2d(64)
        # Exit heads: a small average pooling, then one fully connected layer.
        self.head0 = nn.Linear(8 * 7 * 7, 10)
        self.head1 = nn.Linear(32 * 3 * 3, 10)
        # Final classifier.
        self.fc1 = nn.Linear(64 * 3 * 3, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        exit0 = self.head0(torch.flatten(F.avg_pool2d(x, 2), 1))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        exit1 = self.head1(torch.flatten(F.avg_pool2d(x, 3, stride=2), 1))
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return exit0, exit1, self.fc2(x)


def layer_macs():
    """MACs of each layer, in the order they run, with the exit each belongs to (0, 1, or 2 for the final)."""
    return [
        ("conv1 1->8 5x5/2", 0, "first_conv", 14 * 14 * 8 * 1 * 25),
        ("exit0 head 392->10", 0, "fc", 8 * 7 * 7 * 10),
        ("conv2 8->32 3x3", 1, "conv", 14 * 14 * 32 * 8 * 9),
        ("exit1 head 288->10", 1, "fc", 32 * 3 * 3 * 10),
        ("conv3 32->64 3x3", 2, "conv", 7 * 7 * 64 * 32 * 9),
        ("fc1 576->128", 2, "fc", 576 * 128),
        ("fc2 128->10", 2, "fc", 128 * 10),
    ]


def exit_costs():
    """Cumulative MACs and estimated cortex-m4 int8 instructions to each exit (its head included)."""
    macs, cost, out = 0, 0.0, []
    for index in range(len(EXIT_NAMES)):
        for _, exit_index, kind, layer in layer_macs():
            if exit_index == index:
                macs += layer
                cost += layer * COST_PER_MAC[kind]
        out.append((macs, cost))
    return out


def full_macs():
    """MACs of one inference that runs every layer and every head."""
    return sum(layer for _, _, _, layer in layer_macs())


def predict(model, images, batch=1000):
    """Logits of every exit for uint8 images, as numpy [exits, N, 10]."""
    model.eval()
    outs = [[] for _ in EXIT_NAMES]
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float() / 255.0
            for k, y in enumerate(model(x)):
                outs[k].append(y.numpy())
    return np.stack([np.concatenate(o) for o in outs])


def softmax(logits):
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def early_exit_result(probs, labels, thresholds, costs):
    """Top-1 and mean estimated instructions when each early exit stops at max-softmax >= its threshold."""
    taken = np.full(len(labels), len(EXIT_NAMES) - 1)
    for k in reversed(range(len(thresholds))):
        taken = np.where(probs[k].max(-1) >= thresholds[k], k, taken)
    predicted = probs[taken, np.arange(len(labels))].argmax(-1)
    accuracy = (predicted == labels).mean()
    cost = np.array([c for _, c in costs])[taken].mean()
    shares = [(taken == k).mean() for k in range(len(EXIT_NAMES))]
    return accuracy, cost, shares


def choose_thresholds(probs, labels, costs):
    """The thresholds with the lowest mean estimated cost whose top-1 stays within VALIDATION_BUDGET points."""
    full_accuracy = (probs[-1].argmax(-1) == labels).mean()
    grid = [round(t, 3) for t in np.concatenate([np.arange(0.5, 0.95, 0.01), np.arange(0.95, 0.9995, 0.001)])]
    best = None
    for t0 in grid:
        for t1 in grid:
            accuracy, cost, shares = early_exit_result(probs, labels, [t0, t1], costs)
            if (full_accuracy - accuracy) * 100 > VALIDATION_BUDGET:
                continue
            if best is None or cost < best[1]:
                best = ([t0, t1], cost, accuracy, shares)
    if best is None:
        raise SystemExit(f"no thresholds keep top-1 within {VALIDATION_BUDGET} points of the final exit: train longer")
    return best, full_accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=fmnist_train.DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()

    torch.set_num_threads(2)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    all_x, all_y = fmnist_train.load_split(args.data, "train")
    test_x, test_y = fmnist_train.load_split(args.data, "t10k")
    split_rng = np.random.default_rng(SEED)
    permutation = split_rng.permutation(len(all_x))
    train_idx, val_idx = permutation[VALIDATION_SAMPLES:], permutation[:VALIDATION_SAMPLES]
    train_x, train_y = all_x[train_idx], all_y[train_idx]
    val_x, val_y = all_x[val_idx], all_y[val_idx]
    print(f"train {train_x.shape} validation {val_x.shape} test {test_x.shape}")

    model = BranchyFashionCnn()
    params = sum(p.numel() for p in model.parameters())
    costs = exit_costs()
    print(f"parameters {params}  MACs {full_macs()} with every layer and head")
    for name, (macs, cost) in zip(EXIT_NAMES, costs):
        print(f"  to {name}: {macs} MACs, about {cost / 1000:.0f}k instructions on cortex-m4 int8 "
              f"({cost / costs[-1][1] * 100:.1f}% of the final exit)")

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
            y = train_labels[idx]
            loss = sum(w * F.cross_entropy(out, y) for w, out in zip(LOSS_WEIGHTS, model(x)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(idx)
        accs = (predict(model, test_x).argmax(-1) == test_y).mean(-1)
        per_exit = "  ".join(f"{n} {a * 100:.2f}%" for n, a in zip(EXIT_NAMES, accs))
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / len(order):.4f}  test accuracy {per_exit}  "
              f"({time.time() - start:.0f} s)")

    model.eval()
    (thresholds, val_cost, val_accuracy, val_shares), val_full = choose_thresholds(softmax(predict(model, val_x)),
                                                                                     val_y, costs)
    print(f"thresholds {thresholds} on {len(val_x)} validation images: top-1 {val_accuracy * 100:.2f}% "
          f"(every layer {val_full * 100:.2f}%), mean cost {val_cost / costs[-1][1] * 100:.1f}% of every layer, "
          f"leaving at each exit {', '.join(f'{s * 100:.1f}%' for s in val_shares)}")

    test_logits = predict(model, test_x)
    for name, logits in zip(EXIT_NAMES, test_logits):
        print(f"test accuracy at {name}: {(logits.argmax(-1) == test_y).mean() * 100:.2f}%")
    accuracy, cost, shares = early_exit_result(softmax(test_logits), test_y, thresholds, costs)
    print(f"test with exits: top-1 {accuracy * 100:.2f}%, mean cost {cost / costs[-1][1] * 100:.1f}% of every "
          f"layer, leaving at each exit {', '.join(f'{s * 100:.1f}%' for s in shares)}")

    inputs_u8 = test_x[:TEST_SAMPLES]
    inputs = inputs_u8.astype(np.float32) / np.float32(255.0)
    labels = test_y[:TEST_SAMPLES]
    with torch.no_grad():
        expected = np.stack([y.numpy().astype(np.float32) for y in model(torch.from_numpy(inputs))])
    np.save(os.path.join(args.out, "test_inputs.npy"), inputs)
    np.save(os.path.join(args.out, "test_inputs_u8.npy"), inputs_u8)
    np.save(os.path.join(args.out, "test_labels.npy"), labels)
    np.save(os.path.join(args.out, "expected_float.npy"), expected[-1])
    np.save(os.path.join(args.out, "expected_exits.npy"), expected)
    np.save(os.path.join(args.out, "calib_u8.npy"), train_x[:CALIB_SAMPLES])
    print(f"first {TEST_SAMPLES} test images: {(expected[-1].argmax(1) == labels).sum()} correct at the final exit")

    onnx_path = os.path.join(args.out, "fmnist_branchy.onnx")
    # As in the Fashion-MNIST example: BatchNormalization stays in the file for eennc to fold; batch fixed at 1.
    torch.onnx.export(model, torch.from_numpy(inputs[:1]), onnx_path,
                      input_names=["input"], output_names=EXIT_NAMES,
                      opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    write_exit_metadata(onnx_path, thresholds)
    fmnist_train.check_onnx(onnx_path)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) // 1024} KB)")


def write_exit_metadata(path, thresholds):
    """States the exits, in order, their policy and thresholds in metadata_props, as `eennc augment` writes them."""
    import onnx
    model = onnx.load(path)
    entries = {
        "eennc.exits": ",".join(EXIT_NAMES),
        "eennc.exit_policy": POLICY,
        "eennc.exit_thresholds": ",".join(f"{t:g}" for t in thresholds),
    }
    for key, value in entries.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(model, path)


if __name__ == "__main__":
    main()
