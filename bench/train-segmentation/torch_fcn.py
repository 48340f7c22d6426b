"""PyTorch CPU anchor for bench/train-segmentation: the FCN of test/fixtures/segmentation-fcn.prototxt
(conv 16/32/32 3x3 + max-pool x2, 1x1 score, fixed bilinear ConvTranspose2d x4 with groups=3, crop
offset 2, per-pixel cross entropy), trained as our trainer trains it (pixels x 1/256, ADAM, batch 16)
on the same PNG files (the last 10 % held out). Prints one JSON line:
{"imagesPerSecond": ..., "valPixelAccuracy": ..., "valMeanIou": ...}."""
import argparse, glob, json, math, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from torch_common import parse_args, train  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--data', required=True)
p.add_argument('--epochs', type=int, default=3)
p.add_argument('--batch', type=int, default=16)
p.add_argument('--lr', type=float, default=0.01)
a = parse_args(p)

files = sorted(glob.glob(os.path.join(a.data, 'images', '*.png')))
xs = torch.from_numpy(np.stack([np.array(Image.open(f).convert('RGB')) for f in files]).astype(np.float32)).permute(0, 3, 1, 2).contiguous()
ys = torch.from_numpy(np.stack([np.array(Image.open(f.replace('/images/', '/labels/'))) for f in files]).astype(np.int64))
n_val = len(files) // 10
vx, vy, xs, ys = xs[-n_val:], ys[-n_val:], xs[:-n_val], ys[:-n_val]

def bilinear(k):
    f = math.ceil(k / 2); c = (k - 1) / (2 * f)
    r = 1 - np.abs(np.arange(k) / f - c)
    return torch.from_numpy(np.outer(r, r).astype(np.float32))

class FCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1), nn.Conv2d(32, 32, 3, padding=1)
        self.score = nn.Conv2d(32, 3, 1)
        for m in (self.conv1, self.conv2, self.conv3):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu'); nn.init.zeros_(m.bias)
        nn.init.xavier_uniform_(self.score.weight); nn.init.zeros_(self.score.bias)
        self.register_buffer('up', bilinear(8).reshape(1, 1, 8, 8).repeat(3, 1, 1, 1))
    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x * 0.00390625)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = self.score(F.relu(self.conv3(h)))
        h = F.conv_transpose2d(h, self.up, stride=4, groups=3)
        return h[:, :, 2:2 + x.shape[2], 2:2 + x.shape[3]]

net = FCN()
opt = torch.optim.Adam(net.parameters(), lr=a.lr)
images_per_second = train(opt, len(xs), a.epochs, a.batch, lambda idx: F.cross_entropy(net(xs[idx]), ys[idx], ignore_index=255))
with torch.no_grad():
    pred = net(vx).argmax(1)
conf = np.zeros((3, 3))
np.add.at(conf, (vy.numpy().ravel(), pred.numpy().ravel()), 1)
union = conf.sum(0) + conf.sum(1) - np.diag(conf)
print(json.dumps({"imagesPerSecond": images_per_second, "valPixelAccuracy": float(np.trace(conf) / conf.sum()),
                  "valMeanIou": float(np.mean(np.diag(conf)[union > 0] / union[union > 0]))}))
