#!/usr/bin/python3
"""The anchor: DIGITS' parse_folder + create_db for one image folder, in one process, as DIGITS
does it per image (PIL open -> convert -> resize if needed -> PNG encode -> Datum -> LMDB put).

  pil_build.py --data <dir with train/<class>/*> --out <job dir> [--pct-val 25] [--seed 1]
      builds train_db, val_db, mean.binaryproto, mean.jpg; prints one JSON line of figures
  pil_build.py --verify <lmdb dir>
      prints the entry count of an LMDB environment (used to check our DBs with py-lmdb)
"""
import argparse, io, json, os, random, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from digits_anchor import blob_proto, datum, parse_folder  # noqa: E402

try:
    import PIL.Image
    import lmdb
except ImportError as err:
    print(f'missing {err.name}: apt-get install -y python3-pil python3-lmdb', file=sys.stderr)
    sys.exit(2)
try:
    import numpy as np
except ImportError:
    np = None

EXTENSIONS = ('.jpg', '.jpeg', '.png', '.gif', '.bmp', '.ppm', '.pgm')
WIDTH = HEIGHT = 28
BATCH = 1000                     # DIGITS' create_db writes 1000 entries per transaction
MAP_SIZE = 1 << 34               # sparse on Linux; DIGITS grows its map on MapFullError instead


def load(path):
    img = PIL.Image.open(path)
    img = img.convert('L')
    if img.size != (WIDTH, HEIGHT):
        img = img.resize((WIDTH, HEIGHT), PIL.Image.BILINEAR)
    return img


def create_db(db_dir, entries, mean_sum):
    env = lmdb.open(db_dir, map_size=MAP_SIZE)
    for start in range(0, len(entries), BATCH):
        with env.begin(write=True) as txn:
            for i, (path, label) in enumerate(entries[start:start + BATCH], start):
                img = load(path)
                if mean_sum is not None:
                    if np is not None:
                        mean_sum += np.asarray(img, dtype=np.float64)
                    else:
                        for p, v in enumerate(img.getdata()):
                            mean_sum[p] += v
                buf = io.BytesIO()
                img.save(buf, format='PNG')
                txn.put(('%08d_%d' % (i, label)).encode('ascii'), datum(1, HEIGHT, WIDTH, buf.getvalue(), label, True))
    count = env.stat()['entries']
    env.close()
    return count


def write_mean(out, mean_sum, count):
    values = [float(v) for v in (np.asarray(mean_sum).ravel() if np is not None else mean_sum)]
    mean = [int(round(v / count)) for v in values]   # Python 3 round: half to even, like numpy
    blob = blob_proto(1, HEIGHT, WIDTH, mean)
    with open(os.path.join(out, 'mean.binaryproto'), 'wb') as f:
        f.write(blob)
    PIL.Image.frombytes('L', (WIDTH, HEIGHT), bytes(mean)).save(os.path.join(out, 'mean.jpg'))


def build(args):
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    labels, train, val = parse_folder(os.path.join(args.data, 'train'), args.pct_val, random.Random(args.seed), EXTENSIONS)
    rnd = random.Random(args.seed + 1)
    rnd.shuffle(train)                # DIGITS shuffles folder lists before writing
    rnd.shuffle(val)
    parsed = time.perf_counter()
    mean_sum = np.zeros((HEIGHT, WIDTH), dtype=np.float64) if np is not None else [0.0] * (WIDTH * HEIGHT)
    n_train = create_db(os.path.join(args.out, 'train_db'), train, mean_sum)
    n_val = create_db(os.path.join(args.out, 'val_db'), val, None)
    write_mean(args.out, mean_sum, n_train)
    seconds = time.perf_counter() - started
    print(json.dumps({'seconds': seconds, 'parse_seconds': parsed - started, 'train': n_train, 'val': n_val,
                      'labels': len(labels), 'numpy': np is not None}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data')
    ap.add_argument('--out')
    ap.add_argument('--pct-val', type=int, default=25)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--verify')
    args = ap.parse_args()
    if args.verify:
        env = lmdb.open(args.verify, readonly=True, lock=False)
        print(json.dumps({'entries': env.stat()['entries']}))
        return
    if not args.data or not args.out:
        ap.error('--data and --out are required (or --verify)')
    build(args)


if __name__ == '__main__':
    main()
