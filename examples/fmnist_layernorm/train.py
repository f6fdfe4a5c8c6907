#!/usr/bin/python3
"""Trains a Fashion-MNIST classifier with LayerNorm that reads each image as a sequence of rows, and exports it to ONNX.

Reads the IDX files of Debian's dataset-fashion-mnist and trains, for a few epochs with Adam on the CPU, the
structure of a small keyword-spotting or wake-word model: each of the 28 image rows is one time step of 28
features; a linear layer per step, LayerNorm over the features and ReLU, twice; the mean over the time steps; a
linear classifier. Writes next to this script:

  fmnist_layernorm.onnx  opset 13, input `input` float32 [1,1,28,28] in [0,1], output `logits` float32 [1,10];
                         each nn.LayerNorm is exported as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add
  test_inputs.npy        first 16 test images, float32 [16,1,28,28], x/255
  test_labels.npy        their labels, int64 [16]
  expected_float.npy     PyTorch float32 logits for test_inputs, [16,10]

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/fmnist_layernorm/train.py [--epochs 4] [--data DIR]
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

STEPS = 28
FEATURES = 28
HIDDEN = 48


class RowLayerNorm(nn.Module):
    """Rows as time steps: (Linear, LayerNorm, ReLU) x2 per step, mean over the steps, Linear to 10 classes."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(FEATURES, HIDDEN)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN)
        self.classifier = nn.Linear(HIDDEN, 10)

    def forward(self, x):
        x = x.reshape(x.size(0), STEPS, FEATURES)  # [N, 28 steps, 28 features]
        x = F.relu(self.norm1(self.fc1(x)))
        x = F.relu(self.norm2(self.fc2(x)))
        return self.classifier(x.mean(1))


def count_macs(model):
    """MACs of one inference: the linear layers of every step and the classifier."""
    return STEPS * (FEATURES * HIDDEN + HIDDEN * HIDDEN) + HIDDEN * 10


if __name__ == "__main__":
    fmnist_train.main(make_model=RowLayerNorm, name="fmnist_layernorm", epochs=4, lr=3e-3, out=HERE,
                      description=__doc__, macs_of=count_macs, write_u8=False)
