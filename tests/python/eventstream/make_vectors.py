#!/usr/bin/env python3
"""Event stream test vectors from an implementation independent of the Swift code.

Frames are encoded here with nothing but ``struct`` and ``zlib.crc32`` (written from the wire format description,
not from the Swift sources) and are cross-checked against botocore's decoder by ``test_botocore_interop.py``.

Running this script regenerates ``Tests/AWSEventStreamTests/BotocoreVectors.swift``, which embeds the frames as hex
together with the expected decoded headers/payload (positive vectors) or the expected ``EventStreamError``
(negative vectors). The Swift tests decode every frame and also check that the Swift encoder reproduces the positive
frames byte for byte, which makes "botocore decodes what the Swift encoder writes" hold transitively.

Usage:
    python3 tests/python/eventstream/make_vectors.py            # rewrite the Swift file
    python3 tests/python/eventstream/make_vectors.py --stdout   # print it instead
    python3 tests/python/eventstream/make_vectors.py --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SWIFT_FILE = REPO_ROOT / "Tests" / "AWSEventStreamTests" / "BotocoreVectors.swift"

MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
DEFAULT_MAX_FRAME = MAX_PAYLOAD_LENGTH + MAX_HEADERS_LENGTH + 16

# Header type codes.
TRUE, FALSE, INT8, INT16, INT32, INT64, BYTES, STRING, TIMESTAMP, UUID = range(10)


@dataclass(frozen=True)
class Header:
    name: str
    type: int
    value: object = None  # bool types carry no value; bytes/uuid are `bytes`; string is `str`; others `int`


@dataclass
class Vector:
    name: str
    frame: bytes
    headers: list[Header] = field(default_factory=list)
    payload: bytes = b""
    # Negative vectors only: the Swift `EventStreamError` expression, and whether botocore rejects the frame too.
    swift_error: str | None = None
    botocore_rejects: bool = False

    @property
    def positive(self) -> bool:
        return self.swift_error is None


def crc32(data: bytes, crc: int = 0) -> int:
    return zlib.crc32(data, crc) & 0xFFFFFFFF


def encode_header(header: Header) -> bytes:
    name = header.name.encode("utf-8")
    out = struct.pack("!B", len(name)) + name + struct.pack("!B", header.type)
    t, v = header.type, header.value
    if t in (TRUE, FALSE):
        return out
    if t == INT8:
        return out + struct.pack("!b", v)
    if t == INT16:
        return out + struct.pack("!h", v)
    if t == INT32:
        return out + struct.pack("!i", v)
    if t in (INT64, TIMESTAMP):
        return out + struct.pack("!q", v)
    if t == BYTES:
        return out + struct.pack("!H", len(v)) + v
    if t == STRING:
        raw = v.encode("utf-8")
        return out + struct.pack("!H", len(raw)) + raw
    if t == UUID:
        assert len(v) == 16
        return out + v
    raise ValueError(f"unknown header type {t}")


def frame_from_parts(
    headers_bytes: bytes,
    payload: bytes,
    *,
    total_length: int | None = None,
    headers_length: int | None = None,
) -> bytes:
    """Builds a frame with correct CRCs; the lengths can be overridden to build invalid frames."""
    if total_length is None:
        total_length = 16 + len(headers_bytes) + len(payload)
    if headers_length is None:
        headers_length = len(headers_bytes)
    prelude = struct.pack("!II", total_length, headers_length)
    prelude += struct.pack("!I", crc32(prelude))
    body = prelude + headers_bytes + payload
    return body + struct.pack("!I", crc32(body))


def encode_frame(headers: list[Header], payload: bytes) -> bytes:
    return frame_from_parts(b"".join(encode_header(h) for h in headers), payload)


def flip(frame: bytes, index: int, mask: int = 0x01) -> bytes:
    data = bytearray(frame)
    data[index] ^= mask
    return bytes(data)


def pseudo_random_bytes(count: int, seed: int) -> bytes:
    """Deterministic filler (a 32-bit LCG), so the generated file is stable."""
    out = bytearray()
    state = seed
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0xFFFFFFFF
        out.append((state >> 16) & 0xFF)
    return bytes(out)


def s(name: str, value: str) -> Header:
    return Header(name, STRING, value)


def build_vectors() -> list[Vector]:
    vectors: list[Vector] = []

    def positive(name: str, headers: list[Header], payload: bytes) -> None:
        vectors.append(Vector(name, encode_frame(headers, payload), headers, payload))

    positive("empty", [], b"")
    positive("payload_only", [], b'{"foo":"bar"}')
    positive(
        "all_header_types",
        [
            Header("bool-true", TRUE, True),
            Header("bool-false", FALSE, False),
            Header("byte", INT8, -7),
            Header("short", INT16, 12345),
            Header("int", INT32, -123456789),
            Header("long", INT64, 1234567890123456789),
            Header("bytes", BYTES, b"\x00\x01\x02\xfe\xff"),
            s("string", "h\u00e9llo \u2603 \U0001F600"),
            Header("timestamp", TIMESTAMP, 1_700_000_000_123),
            Header("uuid", UUID, bytes.fromhex("0123456789abcdeffedcba9876543210")),
        ],
        b'{"all":true}',
    )
    positive(
        "integer_extremes",
        [
            Header("i8-min", INT8, -128),
            Header("i8-max", INT8, 127),
            Header("i16-min", INT16, -32768),
            Header("i16-max", INT16, 32767),
            Header("i32-min", INT32, -(2**31)),
            Header("i32-max", INT32, 2**31 - 1),
            Header("i64-min", INT64, -(2**63)),
            Header("i64-max", INT64, 2**63 - 1),
            Header("ts-negative", TIMESTAMP, -1),
            Header("uuid-ff", UUID, b"\xff" * 16),
        ],
        b"",
    )
    positive(
        "empty_values",
        [s("empty-string", ""), Header("empty-bytes", BYTES, b"")],
        b"x",
    )
    positive(
        "long_values",
        [
            Header("n" * 255, STRING, "long name"),
            s("long-string", "abcdefghij" * 40),
            Header("all-bytes", BYTES, bytes(range(256)) * 2),
        ],
        b"{}",
    )
    positive(
        "bedrock_event",
        [s(":event-type", "contentBlockDelta"), s(":content-type", "application/json"), s(":message-type", "event")],
        b'{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"}',
    )
    positive(
        "bedrock_exception",
        [
            s(":exception-type", "throttlingException"),
            s(":content-type", "application/json"),
            s(":message-type", "exception"),
        ],
        b'{"message":"Too many requests, please wait before trying again."}',
    )
    positive(
        "error_message",
        [s(":error-code", "InternalFailure"), s(":error-message", "An internal error occurred"), s(":message-type", "error")],
        b"",
    )
    positive("binary_payload", [s(":message-type", "event")], pseudo_random_bytes(1000, seed=42))

    # Negative vectors. Error expectations are computed here, independently of the Swift code.
    base = encode_frame([s(":event-type", "messageStop"), s(":message-type", "event")], b'{"stopReason":"end_turn"}')

    def negative(name: str, frame: bytes, swift_error: str, botocore_rejects: bool) -> None:
        vectors.append(Vector(name, frame, swift_error=swift_error, botocore_rejects=botocore_rejects))

    bad = flip(base, 9)
    negative(
        "bad_prelude_crc",
        bad,
        f".preludeChecksumMismatch(expected: 0x{struct.unpack('!I', bad[8:12])[0]:08x}, "
        f"actual: 0x{crc32(bad[:8]):08x})",
        True,
    )
    bad = flip(base, len(base) - 1)
    negative(
        "bad_message_crc",
        bad,
        f".messageChecksumMismatch(expected: 0x{struct.unpack('!I', bad[-4:])[0]:08x}, "
        f"actual: 0x{crc32(bad[:-4]):08x})",
        True,
    )
    bad = flip(base, len(base) - 6, 0x80)  # a payload byte
    negative(
        "flipped_payload_byte",
        bad,
        f".messageChecksumMismatch(expected: 0x{struct.unpack('!I', bad[-4:])[0]:08x}, "
        f"actual: 0x{crc32(bad[:-4]):08x})",
        True,
    )
    # Only the prelude is provided: a decoder must reject it without waiting for the rest.
    too_large = DEFAULT_MAX_FRAME + 1
    prelude = struct.pack("!II", too_large, 0)
    negative(
        "frame_too_large_prelude_only",
        prelude + struct.pack("!I", crc32(prelude)),
        f".frameTooLarge(length: {too_large}, maximum: {DEFAULT_MAX_FRAME})",
        True,
    )
    headers_length = MAX_HEADERS_LENGTH + 1
    prelude = struct.pack("!II", headers_length + 16, headers_length)
    negative(
        "headers_too_long_prelude_only",
        prelude + struct.pack("!I", crc32(prelude)),
        f".headersTooLong(length: {headers_length}, maximum: {MAX_HEADERS_LENGTH})",
        True,
    )
    negative(
        "frame_too_small",
        frame_from_parts(b"", b"", total_length=15),
        ".frameTooSmall(length: 15)",
        False,  # botocore does not check the minimum; it fails later or not at all depending on what follows
    )
    negative(
        "headers_length_exceeds_frame",
        frame_from_parts(b"\x01a\x00", b"", headers_length=10),
        ".invalidHeadersLength(headersLength: 10, frameLength: 19)",
        False,  # botocore reads past the headers section instead of rejecting the lengths
    )
    negative(
        "invalid_header_type",
        frame_from_parts(b"\x01a\x0a", b""),
        ".invalidHeaderType(10)",
        True,
    )
    negative(
        "truncated_string_header",
        frame_from_parts(b"\x01a\x07\x00\x05abc", b""),
        ".truncatedHeader",
        False,  # botocore silently accepts the short string
    )
    negative(
        "truncated_int64_header",
        frame_from_parts(b"\x01a\x05\x00\x00\x00", b""),
        ".truncatedHeader",
        True,  # struct.unpack fails on the short buffer
    )
    negative(
        "invalid_utf8_string_header",
        frame_from_parts(b"\x01a\x07\x00\x02\xc3\x28", b"{}"),
        ".invalidUTF8InHeader",
        True,
    )
    negative(
        "invalid_utf8_header_name",
        frame_from_parts(b"\x02\xff\xfe\x00", b"{}"),
        ".invalidUTF8InHeader",
        True,
    )
    return vectors


# --- Swift rendering -------------------------------------------------------------------------------------------


def swift_string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\u{{{code:X}}}")
    out.append('"')
    return "".join(out)


def swift_bytes(value: bytes) -> str:
    return "[" + ", ".join(f"0x{b:02x}" for b in value) + "]"


def swift_value(header: Header) -> str:
    t, v = header.type, header.value
    if t == TRUE:
        return ".bool(true)"
    if t == FALSE:
        return ".bool(false)"
    if t == INT8:
        return f".int8({v})"
    if t == INT16:
        return f".int16({v})"
    if t == INT32:
        return f".int32({v})"
    if t == INT64:
        return f".int64({v})"
    if t == TIMESTAMP:
        return f".timestamp({v})"
    if t == BYTES:
        return f".bytes({swift_bytes(v)})"
    if t == STRING:
        return f".string({swift_string(v)})"
    if t == UUID:
        high, low = struct.unpack("!QQ", v)
        return f".uuid(EventStreamUUID(high: 0x{high:016x}, low: 0x{low:016x}))"
    raise ValueError(t)


def swift_hex(data: bytes, indent: str) -> str:
    if not data:
        return '""'
    text = data.hex()
    lines = [text[i : i + 96] for i in range(0, len(text), 96)]
    body = "\n".join(indent + "    " + line for line in lines)
    return f'"""\n{body}\n{indent}    """'


def render_swift(vectors: list[Vector]) -> str:
    out = [
        "// GENERATED by tests/python/eventstream/make_vectors.py -- do not edit; rerun the script instead.",
        "// Frames encoded by an independent Python encoder (struct + zlib.crc32) and checked against botocore's",
        "// decoder by tests/python/eventstream/test_botocore_interop.py.",
        "",
        "import AWSEventStream",
        "",
        "/// A frame produced by the independent Python encoder, with its expected decoding.",
        "struct BotocoreVector: Sendable, CustomStringConvertible {",
        "    /// The vector's name (for test output).",
        "    var name: String",
        "    /// The frame, as hex (whitespace is ignored).",
        "    var frameHex: String",
        "    /// Positive vectors: the expected headers, in wire order.",
        "    var headers: [EventStreamHeader] = []",
        "    /// Positive vectors: the expected payload, as hex.",
        "    var payloadHex: String = \"\"",
        "    /// Negative vectors: the error the decoder must throw.",
        "    var error: EventStreamError? = nil",
        "",
        "    var description: String { self.name }",
        "}",
        "",
        "enum BotocoreVectors {",
        "    /// Valid frames: decode to `headers` + payload; the Swift encoder must reproduce `frameHex` exactly.",
        "    static let positive: [BotocoreVector] = [",
    ]
    for v in vectors:
        if not v.positive:
            continue
        ind = "        "
        out.append(f"{ind}BotocoreVector(")
        out.append(f"{ind}    name: {swift_string(v.name)},")
        out.append(f"{ind}    frameHex: {swift_hex(v.frame, ind)},")
        if v.headers:
            out.append(f"{ind}    headers: [")
            for h in v.headers:
                out.append(f"{ind}        EventStreamHeader(name: {swift_string(h.name)}, value: {swift_value(h)}),")
            out.append(f"{ind}    ],")
        else:
            out.append(f"{ind}    headers: [],")
        out.append(f"{ind}    payloadHex: {swift_hex(v.payload, ind)}")
        out.append(f"{ind}),")
    out.append("    ]")
    out.append("")
    out.append("    /// Invalid frames and the exact error the decoder must throw.")
    out.append("    static let negative: [BotocoreVector] = [")
    for v in vectors:
        if v.positive:
            continue
        ind = "        "
        out.append(f"{ind}BotocoreVector(")
        out.append(f"{ind}    name: {swift_string(v.name)},")
        out.append(f"{ind}    frameHex: {swift_hex(v.frame, ind)},")
        out.append(f"{ind}    error: {v.swift_error}")
        out.append(f"{ind}),")
    out.append("    ]")
    out.append("}")
    out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render_swift(build_vectors())
    if "--stdout" in argv:
        sys.stdout.write(text)
        return 0
    if "--check" in argv:
        current = SWIFT_FILE.read_text(encoding="utf-8") if SWIFT_FILE.exists() else ""
        if current != text:
            print(f"{SWIFT_FILE} is stale; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    SWIFT_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SWIFT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
