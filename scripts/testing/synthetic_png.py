"""Small valid PNG images made with the standard library, for tests that need decodable uploads."""

import random
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_rgb(width: int, height: int, pixel) -> bytes:
    """An 8-bit RGB PNG; `pixel(x, y)` gives an (r, g, b) tuple."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)   # filter type: none
        for x in range(width):
            rows.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows))) + _chunk(b"IEND", b"")


def gradient_png(width: int, height: int, seed: int = 0) -> bytes:
    """A smooth gradient with a checker texture, photo-like enough for the networks."""
    return png_rgb(width, height, lambda x, y: ((x * 255 // max(width - 1, 1) + 40 * seed) % 256,
                                                 y * 255 // max(height - 1, 1),
                                                 ((x // 8 + y // 8) % 2) * 120 + 60))


def two_colour_png(width: int, height: int) -> bytes:
    """Left half black, right half white: a mask with two regions."""
    return png_rgb(width, height, lambda x, y: (0, 0, 0) if x < width // 2 else (255, 255, 255))


def blocks_png(width: int, height: int, block: int = 16) -> bytes:
    """Flat colour blocks: decodes like any photo but compresses to a few hundred bytes, which
    keeps the requests that carry it (and their reproductions in test logs) short."""
    return png_rgb(width, height, lambda x, y: ((x // block) * 60 % 256, (y // block) * 60 % 256, 128))


def noise_png(width: int, height: int, seed: int = 0) -> bytes:
    """Random pixels, which no compression shrinks: a large upload, and a large answer."""
    noise = random.Random(seed).randbytes(width * height * 3)
    stride = width * 3
    rows = b"".join(b"\0" + noise[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 1)) + _chunk(b"IEND", b"")
