#!/usr/bin/env python3
"""Makes the square test images `make bench` sends to the service: the centre square of one photo,
resampled (Lanczos) to each size and saved at JPEG quality 92 as inSIZE.jpg, and up to 1024² as
inSIZE.png too (the PNG round trip's overhead). Deterministic for a given photo and Pillow; an
existing file is kept.

    python3 scripts/bench_inputs.py PHOTO.jpg OUT_DIR 512 1024 2048 4096
"""
import os, sys

from PIL import Image


def main(photo, out_dir, sizes):
    os.makedirs(out_dir, exist_ok=True)
    image = None
    for size in sizes:
        for suffix in ("jpg", "png") if size <= 1024 else ("jpg",):
            path = os.path.join(out_dir, f"in{size}.{suffix}")
            if os.path.exists(path):
                continue
            if image is None:
                image = Image.open(photo).convert("RGB")
                side = min(image.size)
                left, top = (image.width - side) // 2, (image.height - side) // 2
                image = image.crop((left, top, left + side, top + side))
            resized = image.resize((size, size), Image.LANCZOS)
            resized.save(path, quality=92) if suffix == "jpg" else resized.save(path)
            print(f"bench_inputs: {path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]])
