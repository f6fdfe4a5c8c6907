#!/usr/bin/python3
"""Trains the small Fashion-MNIST CNN, sized for a Cortex-M0+, and exports it to ONNX with its test data.

Reads the IDX files of Debian's dataset-fashion-mnist, trains a three-layer CNN
with strided convolutions (with BatchNorm, which eennc folds) for a few epochs
with Adam on the CPU, and writes next to this script:

  fmnist_small.onnx      opset 13, input `input` float32 [1,1,28,28] in [0,1],
                         output `logits` float32 [1,10]
  test_inputs.npy        first 16 test images, float32 [16,1,28,28], x/255
  test_labels.npy        their labels, int64 [16]
  expected_float.npy     PyTorch float32 logits for test_inputs, [16,10]

The network is sized so that its float32 build fits 256 KiB of flash and
32 KiB of RAM: under 48k weights, and no two consecutive intermediate tensors
together above 6,000 values (24 KB).

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/fmnist_small/train.py [--epochs 8] [--data DIR]
"""

import importlib.util
import os

import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Data reading, training loop and export are those of the Fashion-MNIST example; only the network differs.
_spec = importlib.util.spec_from_file_location("fmnist_train", os.path.join(HERE, "..", "fmnist", "train.py"))
fmnist_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fmnist_train)


class SmallFashionCnn(nn.Module):
    """Three stride-2 Conv-BN-ReLU layers (28 -> 14 -> 7 -> 4), then two fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 32, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 4 * 4, 48)
        self.fc2 = nn.Linear(48, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))   # [16,14,14]
        x = F.relu(self.bn2(self.conv2(x)))   # [32,7,7]
        x = F.relu(self.bn3(self.conv3(x)))   # [32,4,4]
        # PyTorch-style flatten through the tensor's own size: the exporter
        # turns it into a Shape/Gather/Unsqueeze/Concat -> Reshape chain.
        x = x.reshape(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def count_macs(model):
    """MACs of one inference, counted per layer from the known output sizes."""
    conv1 = 14 * 14 * 16 * 1 * 9
    conv2 = 7 * 7 * 32 * 16 * 9
    conv3 = 4 * 4 * 32 * 32 * 9
    fc = sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
    return conv1 + conv2 + conv3 + fc


def evaluate(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float() / 255.0
            correct += (model(x).argmax(1).numpy() == labels[i:i + batch]).sum()
    return correct / len(images)


if __name__ == "__main__":
    fmnist_train.main(make_model=SmallFashionCnn, name="fmnist_small", epochs=8, lr=3e-3, out=HERE,
                      description=__doc__, macs_of=count_macs, write_u8=False)
