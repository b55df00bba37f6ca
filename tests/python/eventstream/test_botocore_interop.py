"""Cross-checks between the Swift AWSEventStream target, an independent Python encoder and botocore.

Needs only ``botocore`` and ``pytest``. Run: ``python3 -m pytest tests/python/eventstream``.

* Frames from the independent encoder in ``make_vectors.py`` decode in botocore to the intended headers/payload,
  one at a time and as one stream fed in chunks of any size.
* The negative vectors that botocore is expected to reject are rejected.
* ``Tests/AWSEventStreamTests/BotocoreVectors.swift`` (which the Swift tests decode and which the Swift encoder must
  reproduce byte for byte) is exactly what ``make_vectors.py`` generates now.
* If ``EVENTSTREAM_DUMP_DIR`` points at a dump written by the Swift tests, botocore decodes those Swift-encoded
  frames to what the manifest says (see ``check_botocore_decodes.py``); otherwise that test is skipped.
"""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_botocore_decodes  # noqa: E402
import make_vectors  # noqa: E402
from botocore.eventstream import EventStreamBuffer  # noqa: E402

VECTORS = make_vectors.build_vectors()
POSITIVE = [v for v in VECTORS if v.positive]
NEGATIVE = [v for v in VECTORS if not v.positive]


def expected_headers(vector: make_vectors.Vector) -> dict:
    return {h.name: h.value for h in vector.headers}


def decode_one(frame: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    messages = list(buffer)
    assert len(messages) == 1
    return messages[0]


def test_crc32_known_vector():
    assert make_vectors.crc32(b"123456789") == 0xCBF43926
    assert make_vectors.crc32(b"") == 0
    assert make_vectors.crc32(b"56789", make_vectors.crc32(b"1234")) == 0xCBF43926
    assert zlib.crc32(b"The quick brown fox jumps over the lazy dog") == 0x414FA339


def test_vector_names_are_unique():
    names = [v.name for v in VECTORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", POSITIVE, ids=lambda v: v.name)
def test_botocore_decodes_positive_vector(vector):
    message = decode_one(vector.frame)
    assert message.headers == expected_headers(vector)
    assert message.payload == vector.payload
    assert message.prelude.total_length == len(vector.frame)


def test_every_header_type_is_covered():
    types = {h.type for v in POSITIVE for h in v.headers}
    assert types == set(range(10))


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 11, 16, 17, 100, 1 << 20])
def test_botocore_decodes_concatenated_stream(chunk_size):
    stream = b"".join(v.frame for v in POSITIVE)
    decoded = check_botocore_decodes.decode_stream(stream, chunk_size)
    assert [m.headers for m in decoded] == [expected_headers(v) for v in POSITIVE]
    assert [m.payload for m in decoded] == [v.payload for v in POSITIVE]


@pytest.mark.parametrize("vector", [v for v in NEGATIVE if v.botocore_rejects], ids=lambda v: v.name)
def test_botocore_rejects_negative_vector(vector):
    buffer = EventStreamBuffer()
    buffer.add_data(vector.frame)
    with pytest.raises(Exception):  # botocore raises ParserError subclasses, KeyError, struct.error, UnicodeError
        list(buffer)


def test_swift_fixture_is_up_to_date():
    committed = make_vectors.SWIFT_FILE.read_text(encoding="utf-8")
    assert committed == make_vectors.render_swift(VECTORS), (
        "Tests/AWSEventStreamTests/BotocoreVectors.swift is stale: run tests/python/eventstream/make_vectors.py"
    )


def test_swift_encoder_dump_decodes_in_botocore():
    dump_dir = os.environ.get("EVENTSTREAM_DUMP_DIR")
    if not dump_dir or not (Path(dump_dir) / "manifest.json").exists():
        pytest.skip("set EVENTSTREAM_DUMP_DIR and run the Swift tests first to produce a dump")
    assert check_botocore_decodes.check_dump(Path(dump_dir)) > 0
