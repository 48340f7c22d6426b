"""PyTorch CPU anchor for bench/train-lenet: DIGITS' Caffe LeNet trained the way our trainer
trains it (same PNG files, same train/val split lists, input x0.0125 after mean subtraction,
SGD momentum 0.9, weight decay lr/100, step policy 33 % / 0.1, batch 64), on N threads.
Prints one JSON line: {"imagesPerSecond": ..., "valAccuracy": ..., "loadSeconds": ...}."""
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument('--train', required=True)
p.add_argument('--val', required=True)
p.add_argument('--epochs', type=int, default=1)
p.add_argument('--batch', type=int, default=64)
p.add_argument('--lr', type=float, default=0.01)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--seed', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

def load(list_file):
    paths, labels = [], []
    for line in open(list_file):
        line = line.strip()
        if not line:
            continue
        path, label = line.rsplit(' ', 1)
        paths.append(path)
        labels.append(int(label))
    images = np.stack([np.asarray(Image.open(p).convert('L'), dtype=np.float32) for p in paths])
    return torch.from_numpy(images).unsqueeze(1), torch.tensor(labels)

t0 = time.perf_counter()
xs, ys = load(a.train)
vx, vy = load(a.val)
load_s = time.perf_counter() - t0
mean = xs.mean(0, keepdim=True)

class LeNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, classes)
        for m in (self.conv1, self.conv2, self.fc1, self.fc2):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    def forward(self, x):
        x = (x - mean) * 0.0125
        x = F.max_pool2d(self.conv1(x), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))

net = LeNet(int(ys.max()) + 1)
opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.lr / 100)
iters_per_epoch = math.ceil(len(xs) / a.batch)
max_iter = iters_per_epoch * a.epochs
train_s = 0.0
perm = torch.randperm(len(xs))
cursor = 0
for it in range(max_iter):
    for g in opt.param_groups:
        g['lr'] = a.lr * 0.1 ** math.floor(100 * it / max_iter / 33)
    if cursor + a.batch > len(xs):
        perm = torch.cat([perm[cursor:], torch.randperm(len(xs))])
        cursor = 0
    idx = perm[cursor:cursor + a.batch]
    cursor += a.batch
    t = time.perf_counter()
    opt.zero_grad()
    loss = F.cross_entropy(net(xs[idx]), ys[idx])
    loss.backward()
    opt.step()
    train_s += time.perf_counter() - t

net.eval()
with torch.no_grad():
    correct = sum(int((net(vx[i:i + 256]).argmax(1) == vy[i:i + 256]).sum()) for i in range(0, len(vx), 256))
print(json.dumps({'imagesPerSecond': max_iter * a.batch / train_s, 'valAccuracy': correct / len(vx), 'loadSeconds': load_s}))
