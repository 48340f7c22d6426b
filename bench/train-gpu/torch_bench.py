"""PyTorch anchor for bench/train-gpu: the same networks (DIGITS' LeNet, AlexNet with channel groups
and LRN, GoogLeNet with its two auxiliary heads), batch sizes and inputs as our side, on CUDA when
there is a GPU (cuDNN, its default TF32 convolutions), else on the CPU with the tiny sizes.
Prints one JSON line per case: {"case", "img_s", "engine"} (walkthrough: "wall_s", "val_accuracy")."""
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--mnist', required=True, help='raw MNIST: N*784 pixel bytes, then N label bytes')
p.add_argument('--cases', default='lenet64,lenet512,alexnet64,googlenet32,classify,walkthrough')
p.add_argument('--steps', type=json.loads, required=True, help='{"lenet64": steps, ...}: what our side runs')
p.add_argument('--sizes', type=json.loads, required=True, help='{"alexnet": side, "googlenet": side, "infer_batch": n}')
p.add_argument('--files', default='', help='file with one PNG path per line, for classify')
p.add_argument('--walk', type=json.loads, default='{"epochs": 30, "train": 45000, "val": 15000}')
a = p.parse_args()
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
torch.backends.cudnn.benchmark = True
engine = f'pytorch {torch.__version__} ' + (torch.cuda.get_device_name(0) if dev == 'cuda' else f'cpu {torch.get_num_threads()} threads')

def sync():
    if dev == 'cuda':
        torch.cuda.synchronize()

def emit(**fields):
    print(json.dumps({'engine': engine, **fields}), flush=True)

raw = open(a.mnist, 'rb').read()
n = len(raw) // 785
mx = torch.tensor(np.frombuffer(raw[:n * 784], np.uint8).reshape(n, 1, 28, 28).astype(np.float32), device=dev)
my = torch.tensor(np.frombuffer(raw[n * 784:], np.uint8).astype(np.int64), device=dev)
mean = mx.mean(0, keepdim=True)

class LeNet(nn.Module):
    def __init__(s):
        super().__init__(); s.c1 = nn.Conv2d(1, 20, 5); s.c2 = nn.Conv2d(20, 50, 5); s.f1 = nn.Linear(800, 500); s.f2 = nn.Linear(500, 10)
    def forward(s, x):
        x = (x - mean) * 0.0125
        x = F.max_pool2d(s.c1(x), 2, 2); x = F.max_pool2d(s.c2(x), 2, 2)
        return s.f2(F.relu(s.f1(x.flatten(1))))

def alexnet(side, classes=1000):
    # DIGITS' alexnet.prototxt: groups 2 on conv2/4/5, LRN after relu1/relu2, Caffe's ceil-mode pools
    feat = nn.Sequential(
        nn.Conv2d(3, 96, 11, 4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75), nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75), nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True), nn.Flatten())
    flat = feat(torch.zeros(1, 3, side, side)).shape[1]
    return nn.Sequential(feat, nn.Linear(flat, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, classes))

def googlenet(classes=1000):
    import torchvision
    return torchvision.models.googlenet(num_classes=classes, aux_logits=True, init_weights=True)

def loss_of(out, y):
    if hasattr(out, 'logits'):  # GoogLeNet's heads, weighted as DIGITS does (0.3 each auxiliary)
        return F.cross_entropy(out.logits, y) + 0.3 * (F.cross_entropy(out.aux_logits1, y) + F.cross_entropy(out.aux_logits2, y))
    return F.cross_entropy(out, y)

def train_rate(model, batch_at, steps, batch):
    model = model.to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    def step(i):
        x, y = batch_at(i); opt.zero_grad(); loss_of(model(x), y).backward(); opt.step()
    for i in range(3): step(i)
    sync(); t0 = time.perf_counter()
    for i in range(steps): step(i)
    sync()
    return steps * batch / (time.perf_counter() - t0)

def infer_rate(model, x, repeats):
    model = model.to(dev).eval()
    with torch.no_grad():
        for _ in range(2): model(x)
        sync(); t0 = time.perf_counter()
        for _ in range(repeats): model(x)
        sync()
    return repeats * x.shape[0] / (time.perf_counter() - t0)

def mnist_batches(batch):
    order = torch.randperm(n, device=dev)
    def at(i):
        idx = order[(i * batch) % (n - batch):][:batch]
        return mx[idx], my[idx]
    return at

def synthetic(side, batch, classes=1000):
    x = torch.rand(batch, 3, side, side, device=dev) * 255; y = torch.randint(0, classes, (batch,), device=dev)
    return lambda i: (x, y)

cases = a.cases.split(',')
ib = a.sizes['infer_batch']
for name, batch in (('lenet64', 64), ('lenet512', 512)):
    if name in cases:
        emit(case=f'{name}-train', img_s=train_rate(LeNet(), mnist_batches(batch), a.steps[name], batch))
if 'lenet64' in cases:
    emit(case='lenet-infer', img_s=infer_rate(LeNet(), mx[:ib], a.steps['infer']))
if 'alexnet64' in cases:
    side, batch = a.sizes['alexnet'], a.sizes['alexnet_batch']
    emit(case='alexnet64-train', img_s=train_rate(alexnet(side), synthetic(side, batch), a.steps['alexnet64'], batch))
    emit(case='alexnet-infer', img_s=infer_rate(alexnet(side), synthetic(side, ib)(0)[0], a.steps['infer']))
if 'googlenet32' in cases:
    try:
        side, batch = a.sizes['googlenet'], a.sizes['googlenet_batch']
        emit(case='googlenet32-train', img_s=train_rate(googlenet(), synthetic(side, batch), a.steps['googlenet32'], batch))
        emit(case='googlenet-infer', img_s=infer_rate(googlenet(), synthetic(side, min(ib, 64))(0)[0], a.steps['infer']))
    except ImportError:
        emit(case='googlenet32-train', skipped='torchvision is not installed')
if 'classify' in cases and a.files:
    from PIL import Image
    paths = [l.strip() for l in open(a.files) if l.strip()]
    model = LeNet().to(dev).eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(paths), ib):
            x = torch.tensor(np.stack([np.asarray(Image.open(q).convert('L'), dtype=np.float32) for q in paths[i:i + ib]]), device=dev).unsqueeze(1)
            F.softmax(model(x), 1).cpu()
    emit(case='classify-files', img_s=len(paths) / (time.perf_counter() - t0))
if 'walkthrough' in cases:
    w = a.walk
    torch.manual_seed(1)
    model = LeNet().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    per_epoch = math.ceil(w['train'] / 64); total = per_epoch * w['epochs']
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, math.ceil(total * 0.33)), gamma=0.1)
    vx, vy = mx[w['train']:w['train'] + w['val']], my[w['train']:w['train'] + w['val']]
    sync(); t0 = time.perf_counter()
    for epoch in range(w['epochs']):
        order = torch.randperm(w['train'], device=dev)
        model.train()
        for i in range(per_epoch):
            idx = order[i * 64:(i + 1) * 64]
            opt.zero_grad(); F.cross_entropy(model(mx[idx]), my[idx]).backward(); opt.step(); sched.step()
        model.eval()
        with torch.no_grad():
            hits = sum((model(vx[i:i + 1024]).argmax(1) == vy[i:i + 1024]).sum().item() for i in range(0, len(vy), 1024))
    sync()
    emit(case='walkthrough', wall_s=time.perf_counter() - t0, val_accuracy=hits / len(vy))
