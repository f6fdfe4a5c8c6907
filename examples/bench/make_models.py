#!/usr/bin/python3
"""Exports the MLPerf Tiny reference architectures as ONNX benchmark models.

The three models have the layer structure of the MLPerf Tiny v0.5+ reference
networks (github.com/mlcommons/tiny, benchmark/training/*/keras_model.py),
rebuilt in PyTorch. Their weights are random (seeded), and their BatchNorm
statistics are measured on random inputs so activations keep a realistic range.
They measure cost (instructions, flash, RAM), not accuracy.

Writes next to this script, for NAME in resnet8, ds_cnn, fc_autoencoder:
  NAME.onnx            opset 13, input `input`, output `output`, batch 1
  NAME_inputs.npy      4 random inputs, float32 [4, ...input shape without batch]
  NAME_expected.npy    PyTorch float32 outputs for those inputs, [4, ...]

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/bench/make_models.py
"""

import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
SAMPLES = 4
# Keras' BatchNormalization default; the reference models were trained with it.
KERAS_BN_EPS = 1e-3


def conv_bn(in_ch, out_ch, kernel, stride=1, padding=0, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, groups=groups),
        nn.BatchNorm2d(out_ch, eps=KERAS_BN_EPS),
    )


class ResidualStack(nn.Module):
    """Two 3x3 convolutions with BN; a strided 1x1 convolution (no BN) on the
    shortcut when the stack halves the resolution, as in resnet_v1_eembc."""

    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = conv_bn(in_ch, out_ch, 3, stride=stride, padding=1)
        self.conv2 = conv_bn(out_ch, out_ch, 3, padding=1)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Conv2d(in_ch, out_ch, 1, stride=stride)

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(identity + y)


class ResNet8(nn.Module):
    """MLPerf Tiny image classification (CIFAR-10): ResNet-8, 16/32/64 channels."""

    input_shape = (1, 3, 32, 32)

    def __init__(self, classes=10):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, padding=1)
        self.stack1 = ResidualStack(16, 16, 1)
        self.stack2 = ResidualStack(16, 32, 2)
        self.stack3 = ResidualStack(32, 64, 2)
        # No padding either way; count_include_pad=False keeps the exporter
        # from putting an all-zero Pad node in front of AveragePool.
        self.pool = nn.AvgPool2d(8, count_include_pad=False)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.stack3(self.stack2(self.stack1(x)))
        x = torch.flatten(self.pool(x), 1)
        return F.softmax(self.fc(x), dim=-1)


class DsCnn(nn.Module):
    """MLPerf Tiny keyword spotting: DS-CNN (49x10 MFCC, 64 channels, 12 labels)."""

    input_shape = (1, 1, 49, 10)

    def __init__(self, classes=12, filters=64, blocks=4):
        super().__init__()
        # Keras 'same' padding of a 10x4 stride-2 kernel on 49x10 pads 4/5 rows
        # and 1/1 columns; symmetric 5/1 gives the same 25x5 output and MACs.
        self.stem = conv_bn(1, filters, (10, 4), stride=2, padding=(5, 1))
        layers = []
        for _ in range(blocks):
            layers += [conv_bn(filters, filters, 3, padding=1, groups=filters), nn.ReLU(),
                       conv_bn(filters, filters, 1), nn.ReLU()]
        self.blocks = nn.Sequential(*layers)
        # The reference pools (int(49/2), int(10/2)) = (24, 5) over the 25x5 map
        # (its last row is left out). count_include_pad: see ResNet8.
        self.pool = nn.AvgPool2d((24, 5), count_include_pad=False)
        self.fc = nn.Linear(filters, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return F.softmax(self.fc(x), dim=-1)


class FcAutoencoder(nn.Module):
    """MLPerf Tiny anomaly detection (ToyADMOS): dense autoencoder 640-128x4-8-128x4-640."""

    input_shape = (1, 640)

    def __init__(self, features=640, hidden=128, bottleneck=8):
        super().__init__()
        widths = [features] + [hidden] * 4 + [bottleneck] + [hidden] * 4
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b, eps=KERAS_BN_EPS), nn.ReLU()]
        layers.append(nn.Linear(hidden, features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


MODELS = {
    "resnet8": (ResNet8, lambda g, n: torch.rand(n, 3, 32, 32, generator=g)),
    "ds_cnn": (DsCnn, lambda g, n: torch.randn(n, 1, 49, 10, generator=g)),
    "fc_autoencoder": (FcAutoencoder, lambda g, n: torch.randn(n, 640, generator=g)),
}


def count_macs(model, sample):
    """Multiply-accumulates of one inference in Conv and Linear layers."""
    total = 0

    def on_conv(module, _inputs, output):
        nonlocal total
        k = module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * (module.in_channels // module.groups) * k

    def on_linear(module, _inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(on_conv))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(on_linear))
    with torch.no_grad():
        model(sample)
    for h in hooks:
        h.remove()
    return total


def randomize(model, make_input, generator):
    """Random BN affine parameters, then BN statistics measured on random inputs
    (cumulative average over a few batches), so folding BN is not a no-op."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.normal_(0.0, 0.1, generator=generator)
                m.momentum = None
                m.reset_running_stats()
        model.train()
        for _ in range(8):
            model(make_input(generator, 64))
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.momentum = 0.01  # Keras' 0.99, as PyTorch counts it
    model.eval()


def export(name, model, sample, path):
    # PRESERVE on a model in eval mode keeps BatchNormalization nodes (the EVAL
    # mode would fuse them into Conv) while exporting inference behaviour.
    torch.onnx.export(model, sample, path, input_names=["input"], output_names=["output"],
                      opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    import onnx
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    for value in list(proto.graph.input) + list(proto.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in value.type.tensor_type.shape.dim]
        if not all(isinstance(d, int) and d > 0 for d in dims):
            raise ValueError(f"{name}: {value.name} has a non-static shape {dims}")
    initializer_values = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    ops = sorted({n.op_type for n in proto.graph.node})
    return initializer_values, ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=HERE)
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(2)

    for index, name in enumerate(args.models):
        cls, make_input = MODELS[name]
        torch.manual_seed(SEED + index)
        generator = torch.Generator().manual_seed(SEED + index)
        model = cls()
        randomize(model, make_input, generator)

        inputs = make_input(generator, SAMPLES).float()
        with torch.no_grad():
            expected = model(inputs).numpy().astype(np.float32)
        sample = inputs[:1]
        macs = count_macs(model, sample)
        trainable = sum(p.numel() for p in model.parameters())
        path = os.path.join(args.out, f"{name}.onnx")
        stored, ops = export(name, model, sample, path)
        np.save(os.path.join(args.out, f"{name}_inputs.npy"), inputs.numpy())
        np.save(os.path.join(args.out, f"{name}_expected.npy"), expected)
        print(f"{name}: input {list(cls.input_shape)} output {list(expected.shape[1:])}  "
              f"MACs {macs}  parameters {trainable} (with BN statistics {stored})  "
              f"{os.path.getsize(path)} bytes")
        print(f"  operators: {', '.join(ops)}")


if __name__ == "__main__":
    main()
