"""PyTorch anchor for bench/train-multigpu: DIGITS' LeNet trained on 1 and on N devices with the
same global batch. With N CUDA GPUs: nn.DataParallel (the batch split across the GPUs, gradients
summed on the first, as DIGITS' Caffe does across its GPUs). Without them: the CPU, 1 thread then
N threads (PyTorch's own intra-op parallelism; no data-parallel replicas), so the row says which.
Prints one JSON line per device count: {"devices", "img_s", "engine"}."""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--mnist', required=True, help='raw MNIST: N*784 pixel bytes, then N label bytes')
p.add_argument('--devices', type=int, required=True)
p.add_argument('--batch', type=int, required=True)
p.add_argument('--steps', type=int, required=True)
a = p.parse_args()
gpus = torch.cuda.device_count()
dev = 'cuda' if gpus > 0 else 'cpu'
if dev == 'cuda':
    torch.backends.cudnn.benchmark = True

raw = open(a.mnist, 'rb').read()
n = len(raw) // 785
mx = torch.tensor(np.frombuffer(raw[:n * 784], np.uint8).reshape(n, 1, 28, 28).astype(np.float32), device=dev)
my = torch.tensor(np.frombuffer(raw[n * 784:], np.uint8).astype(np.int64), device=dev)

class LeNet(nn.Module):
    def __init__(s):
        super().__init__(); s.c1 = nn.Conv2d(1, 20, 5); s.c2 = nn.Conv2d(20, 50, 5); s.f1 = nn.Linear(800, 500); s.f2 = nn.Linear(500, 10)
    def forward(s, x):
        x = x * 0.0125
        x = F.max_pool2d(s.c1(x), 2, 2); x = F.max_pool2d(s.c2(x), 2, 2)
        return s.f2(F.relu(s.f1(x.flatten(1))))

def rate(devices):
    model = LeNet().to(dev).train()
    if dev == 'cuda':
        engine = f'pytorch {torch.__version__} ' + (f'DataParallel over {devices} × {torch.cuda.get_device_name(0)}' if devices > 1 else torch.cuda.get_device_name(0))
        if devices > 1:
            model = nn.DataParallel(model, device_ids=list(range(devices)))
    else:
        torch.set_num_threads(devices)
        engine = f'pytorch {torch.__version__} cpu {devices} thread{"s" if devices > 1 else ""}'
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    def step(i):
        s = (i * a.batch) % (n - a.batch)
        opt.zero_grad(); F.cross_entropy(model(mx[s:s + a.batch]), my[s:s + a.batch]).backward(); opt.step()
    for i in range(3): step(i)
    if dev == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(a.steps): step(i)
    if dev == 'cuda': torch.cuda.synchronize()
    return engine, a.steps * a.batch / (time.perf_counter() - t0)

for d in sorted({1, min(a.devices, gpus) if dev == 'cuda' else a.devices}):
    engine, img_s = rate(d)
    print(json.dumps({'devices': d, 'img_s': img_s, 'engine': engine}), flush=True)
