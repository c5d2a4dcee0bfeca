"""Fashion-MNIST's idx files (gzip), as Debian's dataset-fashion-mnist installs them or as
a data set staged with og-data push: images as float32 in [0, 1], labels as int64."""
import gzip
import os
import struct

import numpy as np
import torch

PLACES = ["/data/fashion-mnist", "/usr/share/datasets/fashion-mnist"]


def default_dir():
    """A staged data set (--data=fashion-mnist=REF) first, then the Debian package's files."""
    for place in PLACES:
        if os.path.isfile(os.path.join(place, "train-labels-idx1-ubyte.gz")):
            return place
    return PLACES[-1]


def _read(path, magic):
    try:
        with gzip.open(path) as f:
            header = f.read(4 * (magic - 0x800 + 1))
            if len(header) < 8 or struct.unpack(">I", header[:4])[0] != magic:
                raise ValueError(f"{path}: not an idx file of {magic - 0x800}-D unsigned bytes")
            dims = struct.unpack(f">{magic - 0x800}I", header[4:])
            data = np.frombuffer(f.read(), np.uint8)
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (install dataset-fashion-mnist, or stage it with og-data push "
                         f"and --data=fashion-mnist=REF)") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: unreadable ({e})") from None
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, the header says {dims}")
    return data.reshape(dims)


def load(split, root=None, limit=0):
    """(images [N, 1, 28, 28], labels [N]) of split 'train' or 't10k', the first limit if > 0."""
    root = root or default_dir()
    images = _read(os.path.join(root, f"{split}-images-idx3-ubyte.gz"), 0x803)
    labels = _read(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"), 0x801)
    if limit > 0:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))
