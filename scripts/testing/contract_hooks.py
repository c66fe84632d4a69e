"""Schemathesis hooks for test_contract.py (loaded through SCHEMATHESIS_HOOKS).

The schema cannot say that an upload must decode, nor state the rules between parameters, so
generated uploads almost never get past the 4xx answers. For three quarters of the upload cases
(chosen by a checksum, so runs repeat) the hooks make them usable, and the 200, 201 and 202
answers and their schemas are exercised too; the other quarter stays as generated:
- image fields and raw image bodies become small real PNGs (a two-colour one for `mask`); the
  schema takes any bytes there, so no case changes from valid to invalid or back;
- in schema-valid cases, a query parameter that a form field repeats is dropped (both is
  400 duplicate_parameter), and so are training settings for a model that makes its styles at
  once (400). Only the query is edited: Schemathesis re-checks an edited part against the
  schema, and cannot check a form that holds binary files.

Training jobs: a 202 from POST /styles queues a CPU-bound training job; it is cancelled at once
(DELETE /jobs/{id}), so the run leaves no job burning a core.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import zlib

import schemathesis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_png import blocks_png, two_colour_png  # noqa: E402

UPLOAD_OPERATIONS = {("POST", "/stylize"), ("POST", "/styles")}
PHOTO = blocks_png(64, 64)
MASK = two_colour_png(64, 64)
TRAINING_SETTINGS = ("preset", "iterations", "size", "seconds")


def _left_as_generated(value) -> bool:
    # crc32, not hash(): Python salts hash() per process, and the run must repeat exactly.
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % 4 == 0


def _real_image(field: str, value):
    if not isinstance(value, (bytes, str)):
        return value   # a negative case made it another type; keep that
    return MASK if field == "mask" else PHOTO


def _is_upload(operation) -> bool:
    return operation is not None and (operation.method.upper(), operation.path) in UPLOAD_OPERATIONS


@schemathesis.hook
def map_body(context, body):
    if not _is_upload(context.operation) or _left_as_generated(body):
        return body
    if isinstance(body, (bytes, str)):
        return PHOTO
    if isinstance(body, dict):
        body = dict(body)
        for field in ("image", "mask"):
            if field in body:
                body[field] = _real_image(field, body[field])
        if isinstance(body.get("style_image"), list):
            body["style_image"] = [_real_image("style_image", v) for v in body["style_image"]]
    return body


@schemathesis.hook
def map_case(context, case):
    if not _is_upload(case.operation) or not isinstance(case.query, dict) or _left_as_generated(case.query):
        return case
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case   # an edit could remove what makes a negative case invalid
    form = case.body if isinstance(case.body, dict) else {}
    query = {name: value for name, value in case.query.items() if name not in form}
    if case.path == "/styles" and query.get("model", form.get("model")) in ("adain", "magenta"):
        query = {name: value for name, value in query.items() if name not in TRAINING_SETTINGS}
    if query != case.query:
        case.query = query
    return case


@schemathesis.hook
def after_call(context, case, response):
    if (case.method.upper(), case.path) != ("POST", "/styles") or response.status_code != 202:
        return
    job_id = json.loads(response.content)["job"]["id"]
    origin = urllib.parse.urlsplit(response.request.url)
    cancel = urllib.request.Request(f"{origin.scheme}://{origin.netloc}/jobs/{job_id}", method="DELETE")
    try:
        with urllib.request.urlopen(cancel, timeout=30) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        if error.code != 409:   # 409 job_finished: it ended on its own meanwhile
            raise
