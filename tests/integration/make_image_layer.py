#!/usr/bin/env python3
"""Writes a gzip tar layer for the image tests, in a second or so.

  make_image_layer.py OUT.tar.gz base ANSWER   bash, cat, stat, touch and their libraries
                                               (as ldd lists them) under a merged /usr, and
                                               /usr/local/bin/og-image-answer, which prints
                                               ANSWER: a program no host has
  make_image_layer.py OUT.tar.gz absolute      a layer that writes to /etc/og-escaped
"""
import io
import os
import subprocess
import sys
import tarfile

out, kind = sys.argv[1], sys.argv[2]


def add_bytes(tar, name, data, mode=0o644, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, len(data)
    tar.addfile(info, io.BytesIO(data) if data else None)


with tarfile.open(out, "w:gz") as tar:
    if kind == "absolute":
        add_bytes(tar, "/etc/og-escaped", b"escaped\n")
        sys.exit(0)
    answer = sys.argv[3]
    programs = ["/usr/bin/bash", "/usr/bin/cat", "/usr/bin/stat", "/usr/bin/touch"]
    needed = set(programs)
    for program in programs:
        listing = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
        needed.update(word for line in listing.splitlines() for word in line.split() if word.startswith("/"))
    for top in ["bin", "lib", "lib64", "sbin"]:  # merged /usr, as Debian 12 has it
        info = tarfile.TarInfo(top)
        info.type, info.linkname = tarfile.SYMTYPE, "usr/" + top
        tar.addfile(info)
    added = set()
    for path in sorted(needed):
        # Named under its real directory; a link is kept as a link, beside what it names.
        for real in [os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path)), os.path.realpath(path)]:
            if real not in added:
                added.add(real)
                tar.add(real, arcname=real.lstrip("/"), recursive=False)
    add_bytes(tar, "usr/local/bin/og-image-answer", f"#!/bin/bash\necho 'answer from the image: {answer}'\n".encode(), 0o755)
    add_bytes(tar, "tmp", b"", 0o1777, tarfile.DIRTYPE)
