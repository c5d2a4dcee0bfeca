#!/usr/bin/python3
"""Assembles rendered frames (PNG, in the order given) into a contact sheet and an
animated PNG, with Pillow:

  assemble_frames.py frame-*.png [--sheet contact-sheet.png] [--apng turn.png]
                     [--columns 6] [--thumb 240] [--fps 12]"""
import argparse
import sys

from PIL import Image


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("frames", nargs="+")
    ap.add_argument("--sheet", default="contact-sheet.png")
    ap.add_argument("--apng", default="turn.png", help='the animation ("" for none)')
    ap.add_argument("--columns", type=int, default=6)
    ap.add_argument("--thumb", type=int, default=240, help="width of each frame on the sheet")
    ap.add_argument("--fps", type=int, default=12)
    a = ap.parse_args()
    if a.columns < 1 or a.thumb < 8 or not 1 <= a.fps <= 100:
        ap.error("--columns at least 1, --thumb at least 8, --fps 1-100")
    try:
        frames = [Image.open(path).convert("RGB") for path in a.frames]
    except OSError as e:
        print(f"assemble_frames: {e}", file=sys.stderr)
        return 2
    if len({f.size for f in frames}) != 1:
        print("assemble_frames: the frames differ in size: " +
              ", ".join(f"{p} {f.size[0]}x{f.size[1]}" for p, f in zip(a.frames, frames)), file=sys.stderr)
        return 2
    width, height = frames[0].size
    thumb = (a.thumb, max(1, round(height * a.thumb / width)))
    rows = -(-len(frames) // a.columns)
    sheet = Image.new("RGB", (thumb[0] * min(a.columns, len(frames)), thumb[1] * rows))
    for i, frame in enumerate(frames):
        r, c = divmod(i, a.columns)
        sheet.paste(frame.resize(thumb, Image.LANCZOS), (c * thumb[0], r * thumb[1]))
    sheet.save(a.sheet)
    said = a.sheet
    if a.apng:
        frames[0].save(a.apng, save_all=True, append_images=frames[1:], duration=round(1000 / a.fps), loop=0)
        said += f" and {a.apng} (animated)"
    print(f"assemble_frames: {len(frames)} frames of {width}x{height}: {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
