"""Validate Bedrock Converse request bodies against botocore's service model.

The authoritative schema of the Bedrock runtime API ships with botocore
(`botocore/data/bedrock-runtime/<version>/service-2.json.gz`). This module walks an operation's
input shape and checks a JSON body (already parsed into Python values) the way the service's
front door does:

* unknown members, missing required members, `null` values;
* unions (`"union": true`) with not exactly one member set;
* enums, `min`/`max` (string length, blob byte length, list/map size, numeric range),
  `pattern` (matched against the whole string: Bedrock rejects e.g. tool names with spaces);
* JSON types (a string where a structure is expected, a float for an integer, a bool for a
  number, ...);
* blobs travel as base64 strings (decoded to check they are base64 and to measure them);
* Smithy `document` shapes (`additionalModelRequestFields`, `toolSpec.inputSchema.json`,
  `toolUse.input`, `toolResult.content[].json`, ...) accept any JSON;
* members bound to the URI, headers or query string (`modelId`, ...) are not part of the body
  and are rejected if present.

    >>> from converse_schema import validate
    >>> validate({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}, "Converse")
    []

Every error is a string `"$.path.to[3].member: what is wrong"`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from typing import Any

import botocore.loaders

SERVICE = "bedrock-runtime"
OPERATIONS = ("Converse", "ConverseStream", "CountTokens")
NON_BODY_LOCATIONS = {"uri", "header", "headers", "querystring", "statusCode"}


@functools.lru_cache(maxsize=1)
def service_model() -> dict:
    """botocore's bundled bedrock-runtime service model (the raw JSON dict)."""
    return botocore.loaders.Loader().load_service_model(SERVICE, "service-2")


def shapes() -> dict:
    return service_model()["shapes"]


def input_shape_name(operation: str) -> str:
    ops = service_model()["operations"]
    if operation not in ops:
        raise KeyError(f"unknown operation {operation!r} (known: {', '.join(sorted(ops))})")
    return ops[operation]["input"]["shape"]


def body_members(shape_name: str) -> dict:
    """The members of a structure that travel in the JSON body."""
    shape = shapes()[shape_name]
    return {name: m for name, m in shape.get("members", {}).items()
            if m.get("location") not in NON_BODY_LOCATIONS}


def validate(body: Any, operation: str = "Converse") -> list[str]:
    """Validate the JSON body of `operation` (Converse, ConverseStream, CountTokens, ...).

    Returns a list of error strings (empty when the body is valid)."""
    v = _Validator()
    v.structure(body, input_shape_name(operation), "$", top_level=True)
    return v.errors


def validate_shape(value: Any, shape_name: str, path: str = "$") -> list[str]:
    """Validate any value against a named shape of the model (e.g. "Message", "ContentBlock")."""
    v = _Validator()
    v.value(value, shape_name, path)
    return v.errors


def assert_valid(body: Any, operation: str = "Converse") -> None:
    errors = validate(body, operation)
    if errors:
        raise AssertionError(f"{operation} body is invalid:\n  " + "\n  ".join(errors))


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _child(path: str, member: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", member):
        return f"{path}.{member}"
    return f"{path}[{member!r}]"


class _Validator:
    def __init__(self):
        self.errors: list[str] = []

    def err(self, path: str, msg: str):
        self.errors.append(f"{path}: {msg}")

    # -- dispatch -------------------------------------------------------------------------

    def value(self, v: Any, shape_name: str, path: str):
        shape = shapes()[shape_name]
        if v is None:
            self.err(path, f"null is not allowed (expected {self._describe(shape_name)})")
            return
        t = shape["type"]
        if t == "structure":
            if shape.get("document"):
                return self.document(v, path)
            return self.structure(v, shape_name, path)
        if t == "list":
            return self.list(v, shape_name, path)
        if t == "map":
            return self.map(v, shape_name, path)
        if t == "string":
            return self.string(v, shape_name, path)
        if t in ("integer", "long", "short", "byte"):
            return self.integer(v, shape_name, path)
        if t in ("float", "double"):
            return self.number(v, shape_name, path)
        if t == "boolean":
            if not isinstance(v, bool):
                self.err(path, f"expected boolean, got {_kind(v)}")
            return
        if t == "blob":
            return self.blob(v, shape_name, path)
        if t == "timestamp":
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                self.err(path, f"expected timestamp (number or ISO 8601 string), got {_kind(v)}")
            return
        self.err(path, f"shape {shape_name} has unsupported type {t}")

    def _describe(self, shape_name: str) -> str:
        shape = shapes()[shape_name]
        if shape.get("document"):
            return "any JSON"
        return f"{shape['type']} {shape_name}"

    # -- kinds ----------------------------------------------------------------------------

    def document(self, v: Any, path: str):
        """A Smithy document: any JSON value (checked only for being JSON)."""
        if isinstance(v, float) and not math.isfinite(v):
            self.err(path, "non-finite number is not JSON")
        elif isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    self.err(path, f"object key {k!r} is not a string")
                self.document(x, _child(path, str(k)))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                self.document(x, f"{path}[{i}]")
        elif not (v is None or isinstance(v, (str, int, float, bool))):
            self.err(path, f"{type(v).__name__} is not JSON")

    def structure(self, v: Any, shape_name: str, path: str, top_level: bool = False):
        shape = shapes()[shape_name]
        if not isinstance(v, dict):
            self.err(path, f"expected object ({shape_name}), got {_kind(v)}")
            return
        members = shape.get("members", {})
        body = body_members(shape_name) if top_level else members
        for key in v:
            if key not in body:
                if key in members:
                    self.err(_child(path, key),
                             f"member of {shape_name} is bound to the "
                             f"{members[key].get('location')}, not the body")
                else:
                    self.err(_child(path, key), f"unknown member of {shape_name} "
                             f"(known: {', '.join(body) or 'none'})")
        if shape.get("union"):
            set_members = [k for k in v if k in body and v[k] is not None]
            if len(set_members) != 1:
                self.err(path, f"union {shape_name} must have exactly one member set, "
                         f"got {len(set_members)}" + (f" ({', '.join(set_members)})"
                                                       if set_members else ""))
        else:
            for req in shape.get("required", []):
                if req in body and req not in v:
                    self.err(path, f"missing required member {req!r} of {shape_name}")
        for key, x in v.items():
            if key in body:
                self.value(x, body[key]["shape"], _child(path, key))

    def list(self, v: Any, shape_name: str, path: str):
        shape = shapes()[shape_name]
        if not isinstance(v, list):
            self.err(path, f"expected array ({shape_name}), got {_kind(v)}")
            return
        self._range(len(v), shape, path, "list length", shape_name)
        item = shape["member"]["shape"]
        for i, x in enumerate(v):
            self.value(x, item, f"{path}[{i}]")

    def map(self, v: Any, shape_name: str, path: str):
        shape = shapes()[shape_name]
        if not isinstance(v, dict):
            self.err(path, f"expected object ({shape_name}), got {_kind(v)}")
            return
        self._range(len(v), shape, path, "map size", shape_name)
        for k, x in v.items():
            self.value(k, shape["key"]["shape"], f"{path} key {k!r}")
            self.value(x, shape["value"]["shape"], _child(path, str(k)))

    def string(self, v: Any, shape_name: str, path: str):
        shape = shapes()[shape_name]
        if not isinstance(v, str):
            self.err(path, f"expected string ({shape_name}), got {_kind(v)}")
            return
        if "enum" in shape and v not in shape["enum"]:
            self.err(path, f"{v!r} is not one of {shape['enum']} ({shape_name})")
        self._range(len(v), shape, path, "string length", shape_name)
        pattern = shape.get("pattern")
        if pattern:
            try:
                ok = re.fullmatch(pattern, v) is not None
            except re.error:
                ok = True  # a pattern Python cannot compile: not checked
            if not ok:
                shown = v if len(v) <= 80 else v[:77] + "..."
                self.err(path, f"{shown!r} does not match pattern {pattern!r} ({shape_name})")

    def integer(self, v: Any, shape_name: str, path: str):
        if isinstance(v, bool) or not isinstance(v, int):
            self.err(path, f"expected integer ({shape_name}), got {_kind(v)}")
            return
        self._range(v, shapes()[shape_name], path, "value", shape_name)

    def number(self, v: Any, shape_name: str, path: str):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(path, f"expected number ({shape_name}), got {_kind(v)}")
            return
        if isinstance(v, float) and not math.isfinite(v):
            self.err(path, "non-finite number")
            return
        self._range(v, shapes()[shape_name], path, "value", shape_name)

    def blob(self, v: Any, shape_name: str, path: str):
        if not isinstance(v, str):
            self.err(path, f"expected base64 string ({shape_name} blob), got {_kind(v)}")
            return
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            self.err(path, f"not valid base64 ({shape_name} blob)")
            return
        self._range(len(raw), shapes()[shape_name], path, "blob size", shape_name)

    def _range(self, n, shape: dict, path: str, what: str, shape_name: str):
        lo, hi = shape.get("min"), shape.get("max")
        if lo is not None and n < lo:
            self.err(path, f"{what} {n} is below the minimum {lo} ({shape_name})")
        if hi is not None and n > hi:
            self.err(path, f"{what} {n} is above the maximum {hi} ({shape_name})")
