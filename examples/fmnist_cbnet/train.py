#!/usr/bin/python3
"""Trains CBNet for Fashion-MNIST: a converting autoencoder whose output the BranchyNet's first exit classifies.

CBNet ("Efficient DNN Inference with Converting Autoencoder at the Edge") replaces
an early-exit network by two small models run one after the other: a converting
autoencoder that turns every image, hard or easy, into an easy image of its
class, and a light classifier (the first exit of a BranchyNet) that classifies
it, with no exit decision at run time.

The BranchyNet it starts from is examples/fmnist_branchy (trained by that
example's train.py); the baseline CNN it is compared with is examples/fmnist.
This script reads the BranchyNet's ONNX file, takes its first exit (the first
convolution, its BatchNorm and ReLU, the exit head) as the light classifier,
chooses each class's easy image (the training image of that class the light
classifier is most confident of, as the paper does), trains the autoencoder to
map every training image to the easy image of its class, and writes next to
this script:

  fmnist_cae.onnx        the converting autoencoder, opset 13, input `input`
                         float32 [1,1,28,28] in [0,1], output `converted`
                         float32 [1,1,28,28] in [0,1]
  fmnist_light.onnx      the light classifier, opset 13, input `input` float32
                         [1,1,28,28], output `logits` float32 [1,10]
  easy_images.npy        the easy image of each class, float32 [10,1,28,28]
  test_inputs.npy        first 16 test images, float32 [16,1,28,28], x/255
  test_inputs_u8.npy     the same images as uint8 [16,1,28,28]
  test_labels.npy        their labels, int64 [16]
  expected_float.npy     PyTorch float32 logits of CBNet (autoencoder then light
                         classifier), [16,10]
  calib_u8.npy           200 training images, uint8 [200,1,28,28], for int8
                         calibration

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/fmnist_cbnet/train.py [--epochs 12] [--data DIR]
"""

import argparse
import importlib.util
import os
import random
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Data reading and the ONNX check are those of the Fashion-MNIST example.
_spec = importlib.util.spec_from_file_location("fmnist_train", os.path.join(HERE, "..", "fmnist", "train.py"))
fmnist_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fmnist_train)

BRANCHY_ONNX = os.path.join(HERE, "..", "fmnist_branchy", "fmnist_branchy.onnx")
SEED = 20261207
TEST_SAMPLES = 16
CALIB_SAMPLES = 200
CLASSES = 10
SIDE = 28
# Weight of the light classifier's cross-entropy on the converted image beside the autoencoder's reconstruction
# loss (mean squared error to the easy image of the class). The paper trains on the reconstruction alone; the
# classification term, through the frozen light classifier, keeps the converted images on the right side of the
# classifier's boundaries and is worth about a point of top-1 here.
CLASSIFY_WEIGHT = 0.1
# The autoencoder's code: 64 values between the encoder and the decoder.
CODE = 64


class LightClassifier(nn.Module):
    """The BranchyNet's first exit: its first convolution (with BatchNorm and ReLU) and the exit0 head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, stride=2, padding=2, bias=False)  # 28 -> 14
        self.bn1 = nn.BatchNorm2d(8)
        self.head0 = nn.Linear(8 * 7 * 7, CLASSES)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return self.head0(torch.flatten(F.avg_pool2d(x, 2), 1))


class ConvertingAutoencoder(nn.Module):
    """Two strided convolutions and a fully connected layer to a 64-value code, one fully connected layer back."""

    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)  # 28 -> 14
        self.enc2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)  # 14 -> 7
        self.code = nn.Linear(16 * 7 * 7, CODE)
        self.dec = nn.Linear(CODE, SIDE * SIDE)

    def forward(self, x):
        x = F.relu(self.enc1(x))
        x = F.relu(self.enc2(x))
        x = F.relu(self.code(torch.flatten(x, 1)))
        return torch.sigmoid(self.dec(x)).view(-1, 1, SIDE, SIDE)


def autoencoder_macs():
    """MACs of one pass of the autoencoder."""
    return 14 * 14 * 8 * 9 + 7 * 7 * 16 * 8 * 9 + 16 * 7 * 7 * CODE + CODE * SIDE * SIDE


LIGHT_MACS = 14 * 14 * 8 * 25 + 8 * 7 * 7 * CLASSES


def light_classifier_from_branchy(path):
    """The light classifier with the weights of the BranchyNet's first exit, read from its ONNX file."""
    weights = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    model = LightClassifier()
    state = {name: weights[name] for name in model.state_dict() if name in weights}
    state["bn1.num_batches_tracked"] = torch.tensor(0)
    model.load_state_dict(state)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def logits_of(model, images, batch=1000):
    """Logits of `model` for uint8 images (or floats in [0,1]), as numpy [N, 10]."""
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch])
            x = x.float() / 255.0 if x.dtype == torch.uint8 else x
            out.append(model(x).numpy())
    return np.concatenate(out)


def easy_images(light, train_x, train_y):
    """Each class's easy image: the training image of that class the light classifier gives the highest probability."""
    probs = torch.softmax(torch.from_numpy(logits_of(light, train_x)), -1).numpy()
    chosen = []
    for c in range(CLASSES):
        idx = np.nonzero(train_y == c)[0]
        best = idx[probs[idx, c].argmax()]
        chosen.append(best)
        print(f"  class {c}: training image {best}, light classifier probability {probs[best, c]:.4f}")
    return train_x[chosen].astype(np.float32) / 255.0


class Cbnet(nn.Module):
    """The autoencoder then the light classifier, as `eennc --then` joins them."""

    def __init__(self, autoencoder, light):
        super().__init__()
        self.autoencoder = autoencoder
        self.light = light

    def forward(self, x):
        return self.light(self.autoencoder(x))


def export(model, example, path, input_name, output_name):
    """ONNX opset 13, batch fixed at 1, BatchNormalization kept for eennc to fold."""
    torch.onnx.export(model, example, path, input_names=[input_name], output_names=[output_name],
                      opset_version=13, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    fmnist_train.check_onnx(path)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=fmnist_train.DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--classify-weight", type=float, default=CLASSIFY_WEIGHT)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()

    torch.set_num_threads(1)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    train_x, train_y = fmnist_train.load_split(args.data, "train")
    test_x, test_y = fmnist_train.load_split(args.data, "t10k")
    light = light_classifier_from_branchy(BRANCHY_ONNX)
    light_accuracy = (logits_of(light, test_x).argmax(-1) == test_y).mean()
    print(f"light classifier (the BranchyNet's exit0) alone: test top-1 {light_accuracy * 100:.2f}%, {LIGHT_MACS} MACs")

    print("easy images:")
    easy = torch.from_numpy(easy_images(light, train_x, train_y))
    autoencoder = ConvertingAutoencoder()
    params = sum(p.numel() for p in autoencoder.parameters())
    print(f"autoencoder: {params} parameters, {autoencoder_macs()} MACs; CBNet {autoencoder_macs() + LIGHT_MACS} MACs")

    cbnet = Cbnet(autoencoder, light)
    optimizer = torch.optim.Adam(autoencoder.parameters(), lr=args.lr)
    steps = args.epochs * ((len(train_x) + args.batch - 1) // args.batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    order_rng = np.random.default_rng(SEED)
    train_t = torch.from_numpy(train_x)
    train_labels = torch.from_numpy(train_y)
    for epoch in range(args.epochs):
        start = time.time()
        autoencoder.train()
        order = torch.from_numpy(order_rng.permutation(len(train_x)))
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            x = train_t[idx].float() / 255.0
            y = train_labels[idx]
            converted = autoencoder(x)
            loss = F.mse_loss(converted, easy[y]) + args.classify_weight * F.cross_entropy(light(converted), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        autoencoder.eval()
        accuracy = (logits_of(cbnet, test_x).argmax(-1) == test_y).mean()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(order):.4f}  CBNet test top-1 {accuracy * 100:.2f}%  "
              f"({time.time() - start:.0f} s)")

    autoencoder.eval()
    inputs_u8 = test_x[:TEST_SAMPLES]
    inputs = inputs_u8.astype(np.float32) / np.float32(255.0)
    with torch.no_grad():
        expected = cbnet(torch.from_numpy(inputs)).numpy().astype(np.float32)
    np.save(os.path.join(args.out, "test_inputs.npy"), inputs)
    np.save(os.path.join(args.out, "test_inputs_u8.npy"), inputs_u8)
    np.save(os.path.join(args.out, "test_labels.npy"), test_y[:TEST_SAMPLES])
    np.save(os.path.join(args.out, "expected_float.npy"), expected)
    np.save(os.path.join(args.out, "easy_images.npy"), easy.numpy())
    np.save(os.path.join(args.out, "calib_u8.npy"), train_x[:CALIB_SAMPLES])
    example = torch.from_numpy(inputs[:1])
    export(autoencoder, example, os.path.join(args.out, "fmnist_cae.onnx"), "input", "converted")
    export(light, example, os.path.join(args.out, "fmnist_light.onnx"), "input", "logits")


if __name__ == "__main__":
    main()
