#!/usr/bin/python3
"""Trains a small streaming keyword spotter and exports it with its LSTM state as explicit inputs and outputs.

The structure of a real streaming keyword spotter or voice activity detector (Silero VAD, openWakeWord): each
call takes a chunk of feature frames and the previous LSTM state (h, c) and returns class probabilities and the
new state, which the caller feeds to the next call. Per frame a fully connected front (16 features -> 16, ReLU),
an LSTM (16 -> 24), then a fully connected layer on the LSTM's last hidden state (24 -> 3 classes) and Softmax.

The data are synthetic "log-mel" frames (16 bands, 32 frames a clip), so that training takes seconds: noise,
plus for class 1 a ridge rising across the bands over 6 frames, for class 2 the same ridge falling, at a random
time in the clip; class 0 is noise alone. The network is trained on whole clips; streamed in chunks of 8 frames
with the state carried between chunks it computes the same.

Writes next to this script:
  streaming_kws.onnx   opset 14; inputs `features` [8, 1, 16], `h_in` [1, 1, 24], `c_in` [1, 1, 24];
                       outputs `probs` [1, 3], `h_out` [1, 1, 24], `c_out` [1, 1, 24]
  stream.npy           3 test clips cut into 4 chunks each, float32 [3, 4, 8, 1, 16]
  expected.npy         PyTorch's probabilities after each chunk, state fed back, float32 [3, 4, 3]

Run with Debian's Python (python3-torch, python3-onnx):
  /usr/bin/python3 examples/streaming-kws/train.py
"""

import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261207
BANDS = 16
FRAMES = 32
CHUNK = 8
EMBED = 16
HIDDEN = 24
CLASSES = 3
RIDGE_FRAMES = 6


def make_clips(count, rng):
    """Noise clips [count, FRAMES, BANDS] with a rising (1) or falling (2) ridge, or none (0)."""
    x = rng.normal(0.0, 0.3, size=(count, FRAMES, BANDS)).astype(np.float32)
    labels = rng.integers(0, CLASSES, size=count)
    for i, label in enumerate(labels):
        if label == 0:
            continue
        start = rng.integers(0, FRAMES - RIDGE_FRAMES + 1)
        low = rng.integers(0, BANDS - 2 * RIDGE_FRAMES + 1)
        for k in range(RIDGE_FRAMES):
            band = low + 2 * k if label == 1 else low + 2 * (RIDGE_FRAMES - 1 - k)
            x[i, start + k, band : band + 2] += 1.5
    return x, labels


class StreamingKws(nn.Module):
    def __init__(self):
        super().__init__()
        self.front = nn.Linear(BANDS, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN)
        self.classify = nn.Linear(HIDDEN, CLASSES)

    def forward(self, features, h_in, c_in):
        """features [T, 1, BANDS] (time first), state [1, 1, HIDDEN] -> logits [1, CLASSES] and the new state."""
        y, (h_out, c_out) = self.lstm(torch.relu(self.front(features)), (h_in, c_in))
        return self.classify(h_out[0]), h_out, c_out


class Exported(nn.Module):
    """The streaming call as exported: probabilities instead of logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, features, h_in, c_in):
        logits, h_out, c_out = self.model(features, h_in, c_in)
        return torch.softmax(logits, dim=1), h_out, c_out


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = StreamingKws()
    x, labels = make_clips(3000, rng)
    xs = torch.from_numpy(x).transpose(0, 1)  # [FRAMES, N, BANDS]
    ys = torch.from_numpy(labels)
    zeros = torch.zeros(1, len(labels), HIDDEN)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(60):
        optimizer.zero_grad()
        logits, _, _ = model(xs, zeros, zeros)
        loss = nn.functional.cross_entropy(logits, ys)
        loss.backward()
        optimizer.step()
    test_x, test_labels = make_clips(500, rng)
    with torch.no_grad():
        tz = torch.zeros(1, len(test_labels), HIDDEN)
        logits, _, _ = model(torch.from_numpy(test_x).transpose(0, 1), tz, tz)
        accuracy = (logits.argmax(1).numpy() == test_labels).mean()
    print(f"loss {loss.item():.3f}, test accuracy {accuracy:.3f} on {len(test_labels)} synthetic clips")

    exported = Exported(model).eval()
    features = torch.zeros(CHUNK, 1, BANDS)
    state = torch.zeros(1, 1, HIDDEN)
    torch.onnx.export(
        exported,
        (features, state, state),
        os.path.join(HERE, "streaming_kws.onnx"),
        input_names=["features", "h_in", "c_in"],
        output_names=["probs", "h_out", "c_out"],
        opset_version=14,
    )

    # Three test clips, one of each class, streamed chunk by chunk with the state fed back.
    clips = []
    for wanted in range(CLASSES):
        i = int(np.nonzero(test_labels == wanted)[0][0])
        clips.append(test_x[i])
    stream = np.stack(clips).reshape(CLASSES, FRAMES // CHUNK, CHUNK, 1, BANDS).astype(np.float32)
    expected = np.zeros((CLASSES, FRAMES // CHUNK, CLASSES), dtype=np.float32)
    with torch.no_grad():
        for clip in range(CLASSES):
            h = torch.zeros(1, 1, HIDDEN)
            c = torch.zeros(1, 1, HIDDEN)
            for k in range(FRAMES // CHUNK):
                probs, h, c = exported(torch.from_numpy(stream[clip, k]), h, c)
                expected[clip, k] = probs[0].numpy()
    np.save(os.path.join(HERE, "stream.npy"), stream)
    np.save(os.path.join(HERE, "expected.npy"), expected)
    print("probabilities after each chunk:\n", np.round(expected, 3))


if __name__ == "__main__":
    main()
