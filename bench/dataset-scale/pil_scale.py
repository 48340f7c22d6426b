#!/usr/bin/python3
"""The anchor for bench/dataset-scale: DIGITS' parse_folder + create_db for one image folder, with
DIGITS' per-image work (digits/utils/image.py load_image + resize_image, digits/tools/create_db.py
_array_to_datum) done by one process per core, and the LMDB written by this process alone, in
1000-entry transactions, in the order results arrive (as DIGITS' writer loop does).

  pil_scale.py --data <dir with <class>/*.jpg> --out <job dir> [--size 256] [--mode squash]
               [--encoding png|jpg|none] [--processes N | --threads N] [--pct-val 25] [--seed 1]
      builds train_db, val_db, mean.binaryproto, mean.jpg; prints one JSON line of figures
  pil_scale.py --verify <lmdb dir> [--size 256]
      checks an LMDB with py-lmdb: entry count, key order and format, a decodable first Datum
  pil_scale.py --profile <dir of images> [--size 256] [--rounds 3]
      prints CPU µs per image of the per-image work alone, per mode and encoding (for profile.ts)
"""
import argparse, io, json, multiprocessing, os, queue, random, resource, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from digits_anchor import blob_proto, datum, parse_folder  # noqa: E402

try:
    import PIL.Image
    import lmdb
    import numpy as np
except ImportError as err:
    print(f'missing {err.name}: apt-get install -y python3-pil python3-lmdb python3-numpy', file=sys.stderr)
    sys.exit(2)

EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm')
TXN_ENTRIES = 1000
CHUNK = 16                        # images per task message: amortises the queue, as DIGITS' threads shared one
MAP_SIZE = 1 << 40                # sparse on Linux; DIGITS grows its map on MapFullError instead


def load_image(path):
    """digits.utils.image.load_image: open, load, then L / RGB pass, others converted (alpha over white)."""
    image = PIL.Image.open(path)
    image.load()
    if image.mode in ('L', 'RGB'):
        return image
    if image.mode == '1':
        return image.convert('L')
    if image.mode == 'LA':
        new = PIL.Image.new('L', image.size, 255)
        new.paste(image, mask=image.convert('RGBA'))
        return new
    if image.mode in ('CMYK', 'YCbCr'):
        return image.convert('RGB')
    if image.mode in ('P', 'RGBA'):
        new = PIL.Image.new('RGB', image.size, (255, 255, 255))
        new.paste(image, mask=image.convert('RGBA'))
        return new
    raise ValueError('Image mode "%s" not supported' % image.mode)


def imresize(array, height, width):
    """scipy.misc.imresize(arr, (h, w), interp='bilinear'): array -> PIL image -> BILINEAR -> array."""
    return np.array(PIL.Image.fromarray(array).resize((width, height), PIL.Image.BILINEAR))


def resize_image(image, height, width, channels, mode):
    """digits.utils.image.resize_image for a PIL image (contract §6.5)."""
    image_mode = 'L' if channels == 1 else 'RGB'
    if image.mode != image_mode:
        image = image.convert(image_mode)
    image = np.array(image)
    if image.shape[0] == height and image.shape[1] == width:
        return image
    width_ratio = float(image.shape[1]) / width
    height_ratio = float(image.shape[0]) / height
    if mode == 'squash' or width_ratio == height_ratio:
        return imresize(image, height, width)
    if mode == 'crop':
        if width_ratio > height_ratio:
            resize_height, resize_width = height, int(round(image.shape[1] / height_ratio))
        else:
            resize_width, resize_height = width, int(round(image.shape[0] / width_ratio))
        image = imresize(image, resize_height, resize_width)
        if width_ratio > height_ratio:
            start = int(round((resize_width - width) / 2.0))
            return image[:, start:start + width]
        start = int(round((resize_height - height) / 2.0))
        return image[start:start + height, :]
    if mode == 'fill':
        if width_ratio > height_ratio:
            resize_width, resize_height = width, int(round(image.shape[0] / width_ratio))
            if (height - resize_height) % 2 == 1:
                resize_height += 1
        else:
            resize_height, resize_width = height, int(round(image.shape[1] / height_ratio))
            if (width - resize_width) % 2 == 1:
                resize_width += 1
        image = imresize(image, resize_height, resize_width)
    else:  # half_crop
        new_ratio = (width_ratio + height_ratio) / 2.0
        resize_width = int(round(image.shape[1] / new_ratio))
        resize_height = int(round(image.shape[0] / new_ratio))
        if width_ratio > height_ratio and (height - resize_height) % 2 == 1:
            resize_height += 1
        elif width_ratio < height_ratio and (width - resize_width) % 2 == 1:
            resize_width += 1
        image = imresize(image, resize_height, resize_width)
        if width_ratio > height_ratio:
            start = int(round((resize_width - width) / 2.0))
            image = image[:, start:start + width]
        else:
            start = int(round((resize_height - height) / 2.0))
            image = image[start:start + height, :]
    if width_ratio > height_ratio:
        padding = (height - resize_height) // 2
        size = (padding, width) + ((channels,) if channels > 1 else ())
        noise = np.random.randint(0, 255, size).astype('uint8')
        return np.concatenate((noise, image, noise), axis=0)
    padding = (width - resize_width) // 2
    size = (height, padding) + ((channels,) if channels > 1 else ())
    noise = np.random.randint(0, 255, size).astype('uint8')
    return np.concatenate((noise, image, noise), axis=1)


def array_to_datum(image, label, encoding):
    """create_db._array_to_datum: PNG / JPEG q90 via PIL, or raw C×H×W with BGR planes."""
    height, width = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    if encoding == 'none':
        chw = image.transpose((2, 0, 1))[[2, 1, 0], ...] if image.ndim == 3 else image[np.newaxis, :, :]
        return datum(channels, height, width, chw.tobytes(), label, False)
    s = io.BytesIO()
    if encoding == 'png':
        PIL.Image.fromarray(image).save(s, format='PNG')
    else:
        PIL.Image.fromarray(image).save(s, format='JPEG', quality=90)
    return datum(channels, height, width, s.getvalue(), label, True)


def load_worker(tasks, results, size, channels, mode, encoding, compute_mean):
    """create_db._load_thread as a process: images in, Datums out, its image sum last."""
    image_sum = np.zeros((size, size, channels) if channels > 1 else (size, size), np.float64) if compute_mean else None
    while True:
        chunk = tasks.get()
        if chunk is None:
            break
        out, failed = [], 0
        for path, label in chunk:
            try:
                image = load_image(path)
            except Exception:
                failed += 1
                continue
            image = resize_image(image, size, size, channels, mode)
            if compute_mean:
                image_sum += image
            out.append((label, array_to_datum(image, label, encoding)))
        results.put(('datums', out, failed))
    results.put(('sum', image_sum, 0))


def create_db(db_dir, entries, args, compute_mean):
    # --threads: DIGITS as shipped, its load threads in this one process (sharing the GIL)
    kind, n = (threading.Thread, args.threads) if args.threads else (multiprocessing.Process, args.processes)
    make_queue = queue.Queue if args.threads else multiprocessing.Queue
    tasks, results = make_queue(), make_queue(maxsize=4 * n)
    for start in range(0, len(entries), CHUNK):
        tasks.put(entries[start:start + CHUNK])
    workers = [kind(target=load_worker, args=(tasks, results, args.size, args.channels, args.mode, args.encoding, compute_mean))
               for _ in range(n)]
    for w in workers:
        tasks.put(None)
        w.start()
    env = lmdb.open(db_dir, map_size=MAP_SIZE, map_async=True, max_dbs=0)
    written, failed, sums, done, batch, data_bytes = 0, 0, None, 0, [], 0

    def flush():
        nonlocal written
        with env.begin(write=True) as txn:
            for label, value in batch:
                txn.put(('%08d_%d' % (written, label)).encode('ascii'), value)
                written += 1
        batch.clear()

    while done < len(workers):
        kind, payload, n_failed = results.get()
        if kind == 'sum':
            done += 1
            if payload is not None:
                sums = payload if sums is None else sums + payload
            continue
        failed += n_failed
        for label, value in payload:
            data_bytes += len(value)
            batch.append((label, value))
            if len(batch) == TXN_ENTRIES:
                flush()
    if batch:
        flush()
    for w in workers:
        w.join()
    env.close()
    return written, failed, sums, data_bytes


def write_mean(out, image_sum, count, channels):
    mean = np.around(image_sum / count).astype(np.uint8)
    data = mean.transpose((2, 0, 1))[[2, 1, 0], ...] if mean.ndim == 3 else mean[np.newaxis, :, :]
    blob = blob_proto(*data.shape, list(data.astype(float).flat))
    with open(os.path.join(out, 'mean.binaryproto'), 'wb') as f:
        f.write(blob)
    PIL.Image.fromarray(mean).save(os.path.join(out, 'mean.jpg'))


def cpu_seconds():
    """CPU of this process and of its reaped children (the load workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def build(args):
    os.makedirs(args.out, exist_ok=True)
    cpu0, started = cpu_seconds(), time.perf_counter()
    labels, train, val = parse_folder(args.data, args.pct_val, random.Random(args.seed), EXTENSIONS)
    rnd = random.Random(args.seed + 1)
    rnd.shuffle(train)                # DIGITS shuffles folder lists before writing
    rnd.shuffle(val)
    parsed = time.perf_counter()
    n_train, f_train, image_sum, bytes_train = create_db(os.path.join(args.out, 'train_db'), train, args, True)
    n_val, f_val, _, bytes_val = create_db(os.path.join(args.out, 'val_db'), val, args, False)
    write_mean(args.out, image_sum, n_train, args.channels)
    seconds = time.perf_counter() - started
    print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu_seconds() - cpu0, 'parse_seconds': parsed - started,
                      'train': n_train, 'val': n_val, 'skipped': f_train + f_val, 'labels': len(labels),
                      'mean_datum_bytes': (bytes_train + bytes_val) / max(1, n_train + n_val)}))


def verify(args):
    env = lmdb.open(args.verify, readonly=True, lock=False)
    with env.begin() as txn:
        cursor = txn.cursor()
        keys = [k for k, _ in cursor]
        first = txn.get(keys[0]) if keys else None
    env.close()
    ok_keys = all(k.split(b'_')[0] == b'%08d' % i for i, k in enumerate(keys))
    shape = None
    if first is not None:
        # the first Datum's data field (4): a PNG / JPEG file when encoded, else C×H×W bytes
        at, data = 0, None
        while at < len(first):
            tag, at = first[at], at + 1
            if tag & 7 == 2:
                n, shift = 0, 0
                while True:
                    b, at = first[at], at + 1
                    n |= (b & 0x7f) << shift
                    shift += 7
                    if not b & 0x80:
                        break
                if tag >> 3 == 4:
                    data = first[at:at + n]
                at += n
            else:
                while first[at] & 0x80:
                    at += 1
                at += 1
        if data is not None and (data[:4] == b'\x89PNG' or data[:2] == b'\xff\xd8'):
            image = PIL.Image.open(io.BytesIO(data))
            image.load()  # decodes every row: checks the filters and the zlib stream
            shape = list(image.size)
        elif data is not None:
            shape = [len(data)]
    print(json.dumps({'entries': len(keys), 'keys_in_order': ok_keys, 'first': shape}))


def profile(args):
    """CPU µs per image of the per-image work alone (one process, one image at a time), best of --rounds."""
    files = sorted(os.path.join(args.profile, f) for f in os.listdir(args.profile) if f.lower().endswith(EXTENSIONS))
    image_sum = np.zeros((args.size, args.size, args.channels) if args.channels > 1 else (args.size, args.size), np.float64)
    out = {}
    for mode in ('squash', 'crop', 'fill', 'half_crop'):
        for encoding in ('none', 'jpg', 'png'):
            best = float('inf')
            for _ in range(args.rounds):
                start = time.process_time()
                for path in files:
                    image = resize_image(load_image(path), args.size, args.size, args.channels, mode)
                    image_sum += image
                    array_to_datum(image, 0, encoding)
                best = min(best, (time.process_time() - start) / len(files))
            out['%s/%s' % (mode, encoding)] = round(best * 1e6)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data')
    ap.add_argument('--out')
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--channels', type=int, default=3)
    ap.add_argument('--mode', default='squash', choices=['squash', 'crop', 'fill', 'half_crop'])
    ap.add_argument('--encoding', default='png', choices=['png', 'jpg', 'none'])
    ap.add_argument('--processes', type=int, default=os.cpu_count())
    ap.add_argument('--threads', type=int, default=0, help='load threads in one process instead of processes (DIGITS used 10)')
    ap.add_argument('--pct-val', type=int, default=25)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--verify')
    ap.add_argument('--profile', help='a folder of images: print CPU µs per image of the per-image work')
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    if args.verify:
        verify(args)
        return
    if args.profile:
        profile(args)
        return
    if not args.data or not args.out:
        ap.error('--data and --out are required (or --verify)')
    build(args)


if __name__ == '__main__':
    main()
