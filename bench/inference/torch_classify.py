"""PyTorch CPU anchor for bench/inference: DIGITS' Caffe LeNet classifying the same PNG files
(read with PIL, mean-subtracted, x0.0125 inside the network) in batches, on N threads.
Prints one JSON line: {"fromFiles": img/s including reading and decoding, "onTensors": img/s of
the forward passes alone}."""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument('--list', required=True)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--batch', type=int, default=64)
a = p.parse_args()
torch.set_num_threads(a.threads)
paths = [line.split()[0] for line in open(a.list) if line.strip()]

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, 10)
    def forward(self, x):
        x = F.max_pool2d(self.conv1(x * 0.0125), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)
        return F.softmax(self.fc2(F.relu(self.fc1(x.flatten(1)))), 1)

net = LeNet().eval()
mean = torch.full((1, 1, 28, 28), 33.0)
with torch.no_grad():
    net(torch.zeros(a.batch, 1, 28, 28))
    t0 = time.perf_counter()
    tensors = []
    for i in range(0, len(paths), a.batch):
        batch = np.stack([np.asarray(Image.open(p).convert('L'), dtype=np.float32) for p in paths[i:i + a.batch]])
        x = torch.from_numpy(batch).unsqueeze(1) - mean
        tensors.append(x)
        net(x).argmax(1)
    from_files = len(paths) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for x in tensors:
        net(x).argmax(1)
    on_tensors = len(paths) / (time.perf_counter() - t0)
print(json.dumps({'fromFiles': from_files, 'onTensors': on_tensors}))
