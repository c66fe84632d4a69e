#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (scripts/fuzz.sh calls it): one folder per target under
OUT, each input one file. Built from the test fixtures (Tests/ImageIOTests/Fixtures) and small
valid requests, forms, safetensors and ONNX files made here; standard library only.

    scripts/make_fuzz_seeds.py OUT
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "ImageIOTests", "Fixtures")

HTTP = [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET /styles?model=stylebank&x=%41+b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"POST /stylize?style=3:0.5,12:0.5 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: image/png\r\n\r\nhello",
    b"POST /styles HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhiGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"\r\n\nOPTIONS * HTTP/1.1\nHost: a\n\n",
    b"GET http://example.com/styles/3/image?size=64 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0, 0\r\n\r\n",
    b"DELETE /jobs/7 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t0k3n\r\n\r\n",
]

CHUNKED = [
    b"0\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: one\r\nOther: two\r\n\r\n",
    b"3\nabc\n0\n\n",
    b"A \t;x\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n",
]


def form(boundary, parts, preamble=b""):
    """A multipart/form-data body: parts are (headers, body) with headers as one bytes string."""
    out = preamble
    for headers, body in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n" + body + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def disposition(name, filename=None, extra=b""):
    line = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        line += b'; filename="' + filename + b'"'
    return line + extra + b"\r\n"


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def multipart_seeds():
    b = b"AtelierBoundary7"
    return [
        b"multipart/form-data; boundary=" + b + b"\n" + form(b, [(disposition(b"style"), b"3"), (disposition(b"image", b"a.png") + b"Content-Type: image/png\r\n", b"\x89PNG\r\n\x1a\n")]),
        b'multipart/form-data; boundary="quoted boundary"\n' + form(b"quoted boundary", [(disposition(b"strength"), b"0.5")], preamble=b"preamble\r\n"),
        b"multipart/form-data; boundary=x\n" + form(b"x", [(disposition(b"f", extra=b"; filename*=UTF-8''na%C3%AFve.png"), b"\x00\x01\r\n--y")]),
        b"multipart/form-data; charset=utf-8; boundary=z\n--z\nContent-Disposition: form-data; name=a\n\nv\r\n--z--",
    ]


def stylize_seeds():
    png, jpeg = fixture("rgb_7x5.png"), fixture("baseline_33x17.jpg")
    mask = fixture("palette4_trns_7x5.png")
    b = b"B0undary"
    return [
        b"?style=3:0.5,12:0.5&strength=0.7&format=jpeg&quality=80\nimage/png\n" + png,
        b"?model=munit&seed=42&samples=4&layout=grid&direction=b2a\nimage/jpeg\n" + jpeg,
        b"?max_size=512&preserve_color=true\n\n" + png,
        b"\nmultipart/form-data; boundary=" + b + b"\n" + form(b, [
            (disposition(b"image", b"p.png"), png), (disposition(b"mask", b"m.png"), mask),
            (disposition(b"styles"), b"3,7"), (disposition(b"feather"), b"8")]),
        b"?weights=0.7,0.3&alpha=0.5&style_size=256\nmultipart/form-data; boundary=" + b + b"\n" + form(b, [
            (disposition(b"image", b"p.jpg"), jpeg), (disposition(b"style_image", b"a.png"), png),
            (disposition(b"style_image", b"b.jpg"), jpeg)]),
    ]


def safetensors(tensors, metadata=None, dtype="F32"):
    header, blob = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (shape, values) in sorted(tensors.items()):
        data = struct.pack("<%df" % len(values), *values) if dtype == "F32" else struct.pack("<%de" % len(values), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blob


def safetensors_seeds():
    return [
        safetensors({"w": ([2, 3], [0.5, -1, 2, 3, 4, 5]), "b": ([3], [1, 2, 3])}, {"format": "pt", "iteration": "10"}),
        safetensors({"h": ([2, 2], [0.25, 1, -2, 65504])}, dtype="F16"),
        safetensors({"scalar": ([], [7.0]), "empty": ([0, 4], [])}),
    ]


def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def onnx_seeds():
    conv = (field(1, b"x") + field(1, b"contract.0.w") + field(2, b"y") + field(3, b"conv0") + field(4, b"Conv")
            + field(5, field(1, b"strides") + field_varint(20, 7) + field(8, varint(1) + varint(1)))
            + field(5, field(1, b"auto_pad") + field(4, b"NOTSET")))
    weight = (field(1, varint(1) + varint(2)) + field_varint(2, 1) + field(8, b"contract.0.w")
              + field(9, struct.pack("<2f", 0.5, -0.25)))
    ints = field(1, varint(3)) + field_varint(2, 7) + field(8, b"shape") + field(7, varint(1) + varint(2) + varint(3))
    floats = field_varint(1, 2) + field_varint(2, 1) + field(8, b"scale") + field(4, struct.pack("<2f", 1, 2))
    quant = field(1, b"x") + field(1, b"scale") + field(1, b"zero") + field(2, b"q") + field(4, b"QuantizeLinear")
    graph = (field(1, conv) + field(1, quant) + field(5, weight) + field(5, ints) + field(5, floats)
             + field(11, field(1, b"x")) + field(12, field(1, b"y")))
    return [
        field_varint(1, 7) + field(7, graph),
        field(7, field(5, weight)),
        field(7, field(1, field(4, b"Relu"))),
    ]


def main():
    out = sys.argv[1]
    corpora = {
        "HTTPRequestFuzzer": HTTP,
        "ChunkedBodyFuzzer": CHUNKED,
        "MultipartFuzzer": multipart_seeds(),
        "StylizeParametersFuzzer": stylize_seeds(),
        "SafeTensorsFuzzer": safetensors_seeds(),
        "ONNXFuzzer": onnx_seeds(),
    }
    for target, seeds in corpora.items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for i, seed in enumerate(seeds):
            with open(os.path.join(folder, "seed-%02d" % i), "wb") as f:
                f.write(seed)
    for target, extension in (("PNGFuzzer", ".png"), ("JPEGFuzzer", ".jpg")):
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for name in sorted(os.listdir(FIXTURES)):
            if name.endswith(extension):
                shutil.copyfile(os.path.join(FIXTURES, name), os.path.join(folder, name))


if __name__ == "__main__":
    main()
