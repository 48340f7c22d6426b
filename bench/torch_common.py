"""What the PyTorch training anchors of bench/train-* share: the common arguments (thread count,
seed 1) and the timed epoch loop over shuffled mini-batches (training time only, no evaluation)."""
import argparse, math, time
import torch


def parse_args(parser: argparse.ArgumentParser):
    """Adds --threads, parses, and pins the thread count and seed so runs are comparable."""
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    return args


def train(opt, n, epochs, batch, loss_of):
    """Runs `epochs` shuffled passes over `n` samples in batches of `batch`, minimising
    loss_of(indices); returns training images per second."""
    iters = math.ceil(n / batch)
    train_s = 0.0
    for epoch in range(epochs):
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for i in range(iters):
            idx = order[i * batch:(i + 1) * batch]
            opt.zero_grad()
            loss_of(idx).backward()
            opt.step()
        train_s += time.perf_counter() - t0
    return epochs * n / train_s
