#!/usr/bin/env python3
"""Checks that botocore's event stream decoder accepts frames written by the Swift encoder.

The Swift test ``swiftEncoderDump`` (Tests/AWSEventStreamTests/InteropDumpTests.swift) writes, when the environment
variable ``EVENTSTREAM_DUMP_DIR`` is set, two files into that directory:

* ``frames.bin``     -- the concatenated frames, exactly as the Swift ``EventStreamEncoder`` produced them;
* ``manifest.json``  -- ``{"messages": [{"headers": [{"name", "type", "value"}], "payload": "<hex>"}]}``
  describing what each frame is supposed to contain. Values: bools/ints/timestamps as JSON numbers or booleans,
  strings as JSON strings, bytes and UUIDs as hex strings.

This script feeds ``frames.bin`` to ``botocore.eventstream.EventStreamBuffer`` in chunks of several sizes and
compares every decoded message with the manifest.

Usage:
    EVENTSTREAM_DUMP_DIR=/tmp/es-dump swift test --filter AWSEventStreamTests
    python3 tests/python/eventstream/check_botocore_decodes.py /tmp/es-dump
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from botocore.eventstream import EventStreamBuffer

# Header type codes (see make_vectors.py).
TRUE, FALSE, INT8, INT16, INT32, INT64, BYTES, STRING, TIMESTAMP, UUID = range(10)


def botocore_value(header_type: int, value: object) -> object:
    """Converts a manifest value to what botocore's header parser yields for that type."""
    if header_type == TRUE:
        return True
    if header_type == FALSE:
        return False
    if header_type in (BYTES, UUID):
        assert isinstance(value, str)
        return bytes.fromhex(value)
    return value


def decode_stream(data: bytes, chunk_size: int) -> list:
    """Decodes a concatenated stream with botocore, feeding it `chunk_size` bytes at a time."""
    buffer = EventStreamBuffer()
    messages = []
    for start in range(0, len(data), chunk_size):
        buffer.add_data(data[start : start + chunk_size])
        messages.extend(buffer)
    return messages


def check_dump(dump_dir: Path) -> int:
    """Checks one dump directory; returns the number of messages verified, raises AssertionError on mismatch."""
    frames = (dump_dir / "frames.bin").read_bytes()
    manifest = json.loads((dump_dir / "manifest.json").read_text(encoding="utf-8"))
    expected = manifest["messages"]
    assert expected, "manifest has no messages"
    for chunk_size in (97, 4096, 65536, len(frames)):
        decoded = decode_stream(frames, chunk_size)
        assert len(decoded) == len(expected), f"chunk {chunk_size}: {len(decoded)} messages, expected {len(expected)}"
        for index, (message, want) in enumerate(zip(decoded, expected)):
            want_headers = {h["name"]: botocore_value(h["type"], h["value"]) for h in want["headers"]}
            assert len(want_headers) == len(want["headers"]), f"message {index}: duplicate header names in manifest"
            assert message.headers == want_headers, f"message {index}: {message.headers!r} != {want_headers!r}"
            assert message.payload == bytes.fromhex(want["payload"]), f"message {index}: payload differs"
    return len(expected)


def main(argv: list[str]) -> int:
    target = argv[0] if argv else os.environ.get("EVENTSTREAM_DUMP_DIR")
    if not target:
        print(__doc__, file=sys.stderr)
        return 2
    count = check_dump(Path(target))
    print(f"botocore decoded all {count} Swift-encoded messages in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
