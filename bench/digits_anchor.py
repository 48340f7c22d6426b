"""What the Python anchors of bench/dataset-build and bench/dataset-scale share with DIGITS:
a Caffe Datum encoded by hand (no protobuf package needed) and DIGITS' parse_folder split."""
import math, os, struct


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7f, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vfield(num, value):
    return varint(num << 3) + varint(value)


def bfield(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def datum(channels, height, width, data, label, encoded):
    """caffe.proto Datum: channels=1, height=2, width=3, data=4, label=5, encoded=7."""
    out = vfield(1, channels) + vfield(2, height) + vfield(3, width) + bfield(4, data) + vfield(5, label)
    return out + vfield(7, 1) if encoded else out


def parse_folder(root, pct_val, rnd, extensions):
    """Sorted sub-folders are the labels; each category is shuffled and split (train share rounded)."""
    labels = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    train, val = [], []
    for label, name in enumerate(labels):
        files = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, name), followlinks=True):
            dirnames.sort()
            files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.lower().endswith(extensions)]
        rnd.shuffle(files)
        n_train = int(math.floor(len(files) * (100 - pct_val) / 100.0 + 0.5))
        train += [(f, label) for f in files[:n_train]]
        val += [(f, label) for f in files[n_train:]]
    return labels, train, val


def blob_proto(channels, height, width, values):
    """caffe.proto BlobProto of one image (num=1, channels=2, height=3, width=4, data=5 as packed
    floats): DIGITS' mean.binaryproto."""
    blob = vfield(1, 1) + vfield(2, channels) + vfield(3, height) + vfield(4, width)
    return blob + bfield(5, struct.pack('<%df' % len(values), *values))
