#!/usr/bin/env python3
"""Generates the small image fixtures in Tests/ImageIOTests/Fixtures.

How it was run (from the repository root, Python 3.11, Pillow 13.0.0 from `pip install pillow`):

    python3 scripts/make_image_fixtures.py

PNGs are written by the tiny writer below rather than Pillow, so bit depth, palette, tRNS
and Adam7 interlacing are exactly what each test expects (Pillow writes no interlaced or
16-bit RGB PNGs). JPEGs come from Pillow's libjpeg. Every file is read back with Pillow as a
sanity check. The pixel formulas here are repeated in Tests/ImageIOTests/FixturePatterns.swift;
change both together.
"""
import io
import os
import struct
import zlib

from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageIOTests", "Fixtures")


# --- pixel patterns (mirrored in FixturePatterns.swift) -------------------------------------

def rgb_pattern(x, y):
    return ((x * 37 + y * 11) % 256, (x * 5 + y * 53) % 256, (x * y * 7 + 19) % 256)


def gray_pattern(x, y):
    return (x * 29 + y * 47) % 256


def alpha_pattern(x, y):
    return (x * 41 + y * 17) % 256


def low_byte_pattern(x, y, channel):
    """Low byte of 16-bit samples; decoding strips it."""
    return ((x + y + channel) * 13) % 256


def palette_index(x, y):
    return (x + y * 7) % 16


PALETTE = [(i * 16, 255 - i * 16, (i * 40) % 256) for i in range(16)]
PALETTE_ALPHA = [0, 64, 128, 200]  # tRNS covers the first four entries; the rest are opaque


def smooth_rgb(x, y, width, height):
    """Gradients survive lossy JPEG well enough to compare within a small tolerance."""
    return (round(255 * x / (width - 1)), round(255 * y / (height - 1)), 100)


def smooth_gray(x, y, width, height):
    return round(255 * (x + y) / (width + height - 2))


# --- minimal PNG writer -----------------------------------------------------------------------

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width, height, bit_depth, color_type, rows, interlaced=False, extra_chunks=()):
    """rows[y] is a list of samples (channel values, or palette indices) for row y."""
    def pack_row(samples):
        if bit_depth == 8:
            return bytes(samples)
        if bit_depth == 16:
            return b"".join(struct.pack(">H", s) for s in samples)
        per_byte = 8 // bit_depth  # 1, 2 or 4-bit: pack MSB first, pad the last byte
        out = bytearray()
        for i in range(0, len(samples), per_byte):
            group = samples[i:i + per_byte] + [0] * (per_byte - len(samples[i:i + per_byte]))
            value = 0
            for s in group:
                value = (value << bit_depth) | s
            out.append(value)
        return bytes(out)

    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    raw = bytearray()
    if not interlaced:
        for row in rows:
            raw += b"\x00" + pack_row(row)  # filter type 0 (None) per scanline
    else:
        # Adam7 passes: (x start, y start, x step, y step).
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            for y in range(y0, height, dy):
                samples = []
                for x in range(x0, width, dx):
                    samples += rows[y][x * channels:(x + 1) * channels]
                if samples:
                    raw += b"\x00" + pack_row(samples)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlaced else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(extra_chunks)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def rows_of(width, height, sample_fn):
    return [[s for x in range(width) for s in sample_fn(x, y)] for y in range(height)]


# --- EXIF -------------------------------------------------------------------------------------

def exif_tiff(orientation, big_endian):
    """A TIFF structure whose IFD0 holds only the orientation tag (type SHORT, count 1)."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1)
    tiff += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orientation, 0)
    return tiff + struct.pack(e + "I", 0)  # no next IFD


def exif_app1(orientation, big_endian):
    payload = b"Exif\x00\x00" + exif_tiff(orientation, big_endian)
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def insert_after_app0(jpeg, segment):
    assert jpeg[:4] == b"\xff\xd8\xff\xe0"
    app0_end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:app0_end] + segment + jpeg[app0_end:]


# Pillow transpose for orientation n (what ImageOps.exif_transpose applies) and its inverse,
# used to store each fixture so that it displays as the same upright picture.
STORE_TRANSFORM = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,   # shown after ROTATE_270 (90° clockwise)
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # shown after ROTATE_90
}

# Upright orientation picture: 32×16, quadrants of 16×8, aligned to 8×8 JPEG blocks.
QUADRANTS = {"topLeft": (255, 0, 0), "topRight": (0, 255, 0), "bottomLeft": (0, 0, 255), "bottomRight": (255, 255, 255)}


def upright_quadrants():
    img = Image.new("RGB", (32, 16))
    for y in range(16):
        for x in range(32):
            key = ("top" if y < 8 else "bottom") + ("Left" if x < 16 else "Right")
            img.putpixel((x, y), QUADRANTS[key])
    return img


# --- writing ----------------------------------------------------------------------------------

def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def pillow_jpeg(img, **options):
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)

    # PNG
    write("gray8_7x5.png", png_bytes(7, 5, 8, 0, rows_of(7, 5, lambda x, y: [gray_pattern(x, y)])))
    write("gray1_9x3.png", png_bytes(9, 3, 1, 0, rows_of(9, 3, lambda x, y: [(x + y) % 2])))
    write("gray_alpha_7x5.png", png_bytes(7, 5, 8, 4, rows_of(
        7, 5, lambda x, y: [gray_pattern(x, y), alpha_pattern(x, y)])))
    plte = chunk(b"PLTE", b"".join(bytes(c) for c in PALETTE))
    trns = chunk(b"tRNS", bytes(PALETTE_ALPHA))
    write("palette4_trns_7x5.png", png_bytes(7, 5, 4, 3, rows_of(
        7, 5, lambda x, y: [palette_index(x, y)]), extra_chunks=[plte, trns]))
    write("rgb_7x5.png", png_bytes(7, 5, 8, 2, rows_of(7, 5, lambda x, y: list(rgb_pattern(x, y)))))
    write("rgba_7x5.png", png_bytes(7, 5, 8, 6, rows_of(
        7, 5, lambda x, y: list(rgb_pattern(x, y)) + [alpha_pattern(x, y)])))
    write("rgb16_7x5.png", png_bytes(7, 5, 16, 2, rows_of(
        7, 5, lambda x, y: [v * 256 + low_byte_pattern(x, y, c) for c, v in enumerate(rgb_pattern(x, y))])))
    # eXIf orientation 6: the stored 7×5 picture is shown rotated 90° clockwise as 5×7.
    write("rgb_exif6_7x5.png", png_bytes(7, 5, 8, 2, rows_of(7, 5, lambda x, y: list(rgb_pattern(x, y))),
                                         extra_chunks=[chunk(b"eXIf", exif_tiff(6, big_endian=True))]))
    interlaced = png_bytes(33, 17, 8, 2, rows_of(33, 17, lambda x, y: list(rgb_pattern(x, y))), interlaced=True)
    write("interlaced_rgb_33x17.png", interlaced)
    # A valid IHDR (correct CRC) announcing 100000×100000 RGB, then a few bytes of image data.
    huge_ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    write("huge_header_100000x100000.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", huge_ihdr)
          + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    # Cut in the middle of the IDAT payload: header readable, pixel data incomplete.
    idat_start = interlaced.index(b"IDAT") + 4
    write("truncated_33x17.png", interlaced[:idat_start + (len(interlaced) - idat_start - 12) // 2])

    # JPEG
    smooth = Image.new("RGB", (33, 17))
    smooth.putdata([smooth_rgb(x, y, 33, 17) for y in range(17) for x in range(33)])
    baseline = pillow_jpeg(smooth, quality=95)
    write("baseline_33x17.jpg", baseline)
    write("progressive_33x17.jpg", pillow_jpeg(smooth, quality=95, progressive=True))
    gray = Image.new("L", (33, 17))
    gray.putdata([smooth_gray(x, y, 33, 17) for y in range(17) for x in range(33)])
    write("gray_33x17.jpg", pillow_jpeg(gray, quality=95))
    # CMYK quadrants of 8×8: cyan, magenta / half black, yellow. Pillow stores CMYK inverted
    # with an Adobe APP14 marker, as Photoshop does.
    cmyk = Image.new("CMYK", (16, 16))
    inks = {(0, 0): (255, 0, 0, 0), (1, 0): (0, 255, 0, 0), (0, 1): (0, 0, 0, 128), (1, 1): (0, 0, 255, 0)}
    cmyk.putdata([inks[(x // 8, y // 8)] for y in range(16) for x in range(16)])
    cmyk_jpeg = pillow_jpeg(cmyk, quality=95)
    assert b"Adobe" in cmyk_jpeg
    write("cmyk_16x16.jpg", cmyk_jpeg)
    write("truncated_33x17.jpg", baseline[:len(baseline) * 6 // 10])

    upright = upright_quadrants()
    for orientation in range(1, 9):
        transform = STORE_TRANSFORM[orientation]
        stored = upright if transform is None else upright.transpose(transform)
        data = pillow_jpeg(stored, quality=95, subsampling=0)
        # Odd orientations big-endian ("MM"), even little-endian ("II"): both byte orders used.
        data = insert_after_app0(data, exif_app1(orientation, big_endian=orientation % 2 == 1))
        write(f"orientation_{orientation}.jpg", data)
        shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        assert shown.size == (32, 16), (orientation, shown.size)
        assert max(abs(a - b) for a, b in zip(shown.getpixel((0, 0)), QUADRANTS["topLeft"])) < 8

    check_png_readback()


def check_png_readback():
    """Pillow must decode our hand-written PNGs to the intended pixels."""
    img = Image.open(os.path.join(OUT, "interlaced_rgb_33x17.png")).convert("RGB")
    assert all(img.getpixel((x, y)) == rgb_pattern(x, y) for y in range(17) for x in range(33))
    img = Image.open(os.path.join(OUT, "palette4_trns_7x5.png")).convert("RGBA")
    i = palette_index(1, 0)
    assert img.getpixel((1, 0)) == PALETTE[i] + (PALETTE_ALPHA[i] if i < 4 else 255,)
    img = ImageOps.exif_transpose(Image.open(os.path.join(OUT, "rgb_exif6_7x5.png")))
    assert img.size == (5, 7) and img.getpixel((0, 0)) == rgb_pattern(0, 4)
    img = Image.open(os.path.join(OUT, "gray1_9x3.png")).convert("L")
    assert img.getpixel((1, 0)) == 255 and img.getpixel((0, 0)) == 0
    img = Image.open(os.path.join(OUT, "cmyk_16x16.jpg")).convert("RGB")
    assert max(abs(a - b) for a, b in zip(img.getpixel((3, 3)), (0, 255, 255))) < 8, img.getpixel((3, 3))


if __name__ == "__main__":
    main()
