"""Reads and writes the safetensors format, the layout model weights are shared in: an
8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
byte range, then the raw little-endian data. Reading maps the file copy-on-write, so a
model of many gigabytes is paged in as it is used, never copied whole first."""
import json
import mmap
import os
import struct

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
MAX_HEADER = 100 << 20  # as the reference reader: a larger header is not a model file


class FormatError(ValueError):
    """A file that is not valid safetensors; the message says which file and what."""


def _element_size(dtype):
    return torch.empty((), dtype=dtype).element_size()


def read(path):
    """Returns ({name: tensor}, metadata) of the file at path; tensors share its mapping."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise FormatError(f"{path}: {size} bytes, too short for a safetensors header")
        (header_len,) = struct.unpack("<Q", f.read(8))
        if header_len > MAX_HEADER or 8 + header_len > size:
            raise FormatError(f"{path}: header of {header_len} bytes does not fit in a {size}-byte file")
        try:
            header = json.loads(f.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise FormatError(f"{path}: header is not JSON ({e})") from None
        if not isinstance(header, dict):
            raise FormatError(f"{path}: header is not a JSON object")
        data_len = size - 8 - header_len
        buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if size > 0 else b""
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError(f"{path}: __metadata__ is not an object of strings")
    tensors, ranges = {}, []
    for name, entry in header.items():
        try:
            dtype = DTYPES[entry["dtype"]]
            shape = [int(d) for d in entry["shape"]]
            begin, end = (int(x) for x in entry["data_offsets"])
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(f"{path}: tensor {name!r}: bad entry {entry!r} ({e!r})") from None
        count = 1
        for d in shape:
            if d < 0:
                raise FormatError(f"{path}: tensor {name!r}: negative dimension in {shape}")
            count *= d
        if not 0 <= begin <= end <= data_len or end - begin != count * _element_size(dtype):
            raise FormatError(f"{path}: tensor {name!r}: bytes {begin}..{end} do not hold "
                              f"{entry['dtype']}{shape} within the {data_len} bytes of data")
        ranges.append((begin, end, name))
        offset = 8 + header_len + begin
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(buffer, dtype=dtype, count=count, offset=offset).view(shape)
    ranges.sort()
    for (_, end, a), (begin, _, b) in zip(ranges, ranges[1:]):
        if begin < end:
            raise FormatError(f"{path}: tensors {a!r} and {b!r} overlap")
    return tensors, metadata


def write(path, tensors, metadata=None):
    """Writes {name: tensor} (sorted by name, so the same tensors give the same bytes) to
    path through a temporary file renamed into place, so a reader never sees half a file."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # data aligned to 8 bytes, as other writers do
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
