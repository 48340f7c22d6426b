#!/usr/bin/python3
"""
The liblmdb side of the LMDB cross-check (test/dataset/lmdb-liblmdb.test.ts, scripts/lmdb-scale-check.ts):
Debian's python3-lmdb (py-lmdb over the system liblmdb 0.9) opens, walks and edits LMDB
environments so that our writer is judged by the real library, and writes environments for our
reader to read. Run with /usr/bin/python3. Prints one JSON object on stdout.

  verify DIR [--probes FILE] [--delete-all]
      stat, info, sha256 over every entry in cursor order (u32le key length, u32le value length,
      key, value), whether the keys strictly increase, lookups of the keys in FILE (a JSON list of
      latin1 strings): get → [length, sha256] or null, set_range → the key found or null. With
      --delete-all, then deletes every entry one by one in a write transaction and reports the
      stat liblmdb keeps while it frees pages (all zero when our page counts were right).
  write DIR SEED COUNT
      writes COUNT entries of random binary keys (1..400 bytes) and values (mostly small, every
      40th 3..40 KB, so on overflow pages), in random order over several transactions, then deletes
      every 7th key: a multi-level tree with reused (freelist) pages. Reports stat and digest.
"""
import hashlib
import json
import os
import random
import struct
import sys
import time

try:
    import lmdb
except ImportError:
    sys.stderr.write('python3-lmdb is missing: /usr/bin/python3 cannot import lmdb (apt-get install python3-lmdb)\n')
    sys.exit(3)


def stat_of(env):
    s = env.stat()
    return {k: s[k] for k in ('psize', 'depth', 'branch_pages', 'leaf_pages', 'overflow_pages', 'entries')}


def digest_of(txn):
    h = hashlib.sha256()
    n = 0
    total = 0
    prev = None
    ordered = True
    for k, v in txn.cursor():
        if prev is not None and bytes(k) <= prev:
            ordered = False
        prev = bytes(k)
        h.update(struct.pack('<II', len(k), len(v)))
        h.update(k)
        h.update(v)
        n += 1
        total += len(k) + len(v)
    return {'entries': n, 'bytes': total, 'ordered': ordered, 'sha256': h.hexdigest()}


def verify(path, probes_file, delete_all):
    started = time.time()
    env = lmdb.open(path, readonly=True, lock=False, subdir=True)
    out = {'stat': stat_of(env), 'info': {k: env.info()[k] for k in ('map_size', 'last_pgno')}}
    out['file_bytes'] = os.path.getsize(os.path.join(path, 'data.mdb'))
    with env.begin(buffers=True) as txn:
        out.update(digest_of(txn))
        if probes_file:
            with open(probes_file) as f:
                probes = [p.encode('latin1') for p in json.load(f)]
            cur = txn.cursor()
            gets = []
            ranges = []
            for key in probes:
                v = txn.get(key)
                gets.append(None if v is None else [len(v), hashlib.sha256(v).hexdigest()])
                ranges.append(bytes(cur.key()).decode('latin1') if cur.set_range(key) else None)
            out['gets'] = gets
            out['set_range'] = ranges
    env.close()
    out['verify_s'] = round(time.time() - started, 3)
    if delete_all:
        started = time.time()
        # copy-on-write: the pages this transaction writes lie past the file until it commits
        env = lmdb.open(path, subdir=True, map_size=2 * out['file_bytes'] + (64 << 20))
        with env.begin(write=True) as txn:
            cur = txn.cursor()
            deleted = 0
            if cur.first():
                while cur.delete():
                    deleted += 1
        out['deleted'] = deleted
        out['stat_after_delete'] = stat_of(env)
        env.close()
        out['delete_s'] = round(time.time() - started, 3)
    return out


def write(path, seed, count):
    rnd = random.Random(seed)
    entries = {}
    while len(entries) < count:
        key = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400)))
        size = rnd.randint(3000, 40000) if len(entries) % 40 == 0 else rnd.randint(0, 300)
        entries[key] = rnd.randbytes(size)
    keys = list(entries)
    rnd.shuffle(keys)
    env = lmdb.open(path, subdir=True, map_size=512 << 20)
    for start in range(0, len(keys), 500):
        with env.begin(write=True) as txn:
            for key in keys[start:start + 500]:
                txn.put(key, entries[key])
    with env.begin(write=True) as txn:
        for key in keys[::7]:
            txn.delete(key)
    with env.begin(buffers=True) as txn:
        out = digest_of(txn)
    out['stat'] = stat_of(env)
    env.close()
    return out


def main(argv):
    if argv[:1] == ['verify'] and len(argv) >= 2:
        probes = argv[argv.index('--probes') + 1] if '--probes' in argv else None
        result = verify(argv[1], probes, '--delete-all' in argv)
    elif argv[:1] == ['write'] and len(argv) == 4:
        result = write(argv[1], int(argv[2]), int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
