"""PyTorch CPU anchor for bench/train-detection: the small DetectNet of
examples/object-detection/detectnet-small.prototxt on the same KITTI files, with the targets our
DetectNetTransformation makes (stride 4, scale_cvg 0.6: a cell is covered when its centre is in
the shrunk box or holds the box centre; later rows win) and the same losses (coverage Euclidean
sum/2 per image, box L1 on covered cells x 0.002), ADAM lr 0.001, batch 16, on N threads.
Prints one JSON line: {"imagesPerSecond": ..., "valCoverageLoss": ...}."""
import argparse, json, math, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from torch_common import parse_args, train  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--data', required=True)
p.add_argument('--epochs', type=int, default=4)
p.add_argument('--batch', type=int, default=16)
a = parse_args(p)
STRIDE, SCALE, GRID = 4, 0.6, 16

def targets(boxes):
    cov = np.zeros((GRID, GRID), np.float32)
    bb = np.zeros((4, GRID, GRID), np.float32)
    mids = (np.arange(GRID) + 0.5) * STRIDE
    for l, t, r, b in boxes:
        cx, cy, hw, hh = (l + r) / 2, (t + b) / 2, (r - l) * SCALE / 2, (b - t) * SCALE / 2
        xs = (np.abs(mids - cx) <= hw) | (np.arange(GRID) == math.floor(cx / STRIDE))
        ys = (np.abs(mids - cy) <= hh) | (np.arange(GRID) == math.floor(cy / STRIDE))
        for y in np.nonzero(ys)[0]:
            for x in np.nonzero(xs)[0]:
                cov[y, x] = 1
                bb[:, y, x] = [l - x * STRIDE, t - y * STRIDE, r - x * STRIDE, b - y * STRIDE]
    return cov[None], bb

def load(split):
    folder = os.path.join(a.data, split)
    names = sorted(os.listdir(os.path.join(folder, 'images')))
    xs, cs, bs = [], [], []
    for name in names:
        xs.append(np.asarray(Image.open(os.path.join(folder, 'images', name)).convert('RGB'), np.float32).transpose(2, 0, 1))
        with open(os.path.join(folder, 'labels', name[:-4] + '.txt')) as f:
            rows = [list(map(float, line.split()[1:15])) for line in f if line.strip()]
        rows.sort(key=lambda r: -r[12])
        c, b = targets([r[3:7] for r in rows])
        cs.append(c); bs.append(b)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(cs)), torch.from_numpy(np.stack(bs))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1); self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 32, 3, padding=1); self.c4 = nn.Conv2d(32, 32, 5, padding=2)
        self.cvg = nn.Conv2d(32, 1, 1); self.bbox = nn.Conv2d(32, 4, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x * 0.00390625)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c4(F.relu(self.c3(x))))
        return self.cvg(x), self.bbox(x) * 8

xs, cs, bs = load('train')
vx, vc, vb = load('val')
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=0.001)

def loss_of(idx):
    cov, bbox = net(xs[idx])
    n = len(idx)
    return ((cov - cs[idx]) ** 2).sum() / (2 * n) + 0.002 * (bbox * cs[idx] - bs[idx]).abs().sum() / n

images_per_second = train(opt, len(xs), a.epochs, a.batch, loss_of)
with torch.no_grad():
    cov, _ = net(vx)
    val = ((cov - vc) ** 2).sum().item() / (2 * len(vx))
print(json.dumps({"imagesPerSecond": images_per_second, "valCoverageLoss": val}))
