#!/usr/bin/env python3
# Writes the target link frame corpus (tests/target/corpus-link/*.bin) and its expected.txt:
# "<file> <fwc_link status of fwc_link_decode_request>". The binary files are committed; rerun
# this only to change the corpus.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import struct
import sys
import zlib


def frame(cmd, payload=b"", status=0, version=1, magic=b"NT", length=None, crc=None):
    hdr = magic + bytes([version, cmd]) + struct.pack("<HH", status,
                                                      len(payload) if length is None else length)
    body = hdr + payload
    return body + struct.pack("<I", zlib.crc32(body) if crc is None else crc)


GOOD = frame(0x01)
CASES = [
    ("get-info-valid", GOOD, "FWC_LINK_OK"),
    ("flash-write-valid", frame(0x08, struct.pack("<I", 0) + bytes(range(256))), "FWC_LINK_OK"),
    ("empty", b"", "FWC_LINK_ERR_TRUNCATED"),
    ("one-byte", b"N", "FWC_LINK_ERR_TRUNCATED"),
    ("header-only", GOOD[:8], "FWC_LINK_ERR_TRUNCATED"),
    ("no-crc", GOOD[:-4], "FWC_LINK_ERR_TRUNCATED"),
    ("crc-short", GOOD[:-1], "FWC_LINK_ERR_TRUNCATED"),
    ("payload-short", frame(0x08, bytes(100))[:50], "FWC_LINK_ERR_TRUNCATED"),
    ("bad-magic-0", b"X" + GOOD[1:], "FWC_LINK_ERR_BAD_MAGIC"),
    ("bad-magic-1", b"NX" + GOOD[2:], "FWC_LINK_ERR_BAD_MAGIC"),
    ("bad-magic-short", b"Q", "FWC_LINK_ERR_BAD_MAGIC"),
    ("version-0", frame(0x01, version=0), "FWC_LINK_ERR_BAD_VERSION"),
    ("version-2", frame(0x01, version=2), "FWC_LINK_ERR_BAD_VERSION"),
    ("too-long", frame(0x08, b"", length=4097), "FWC_LINK_ERR_TOO_LONG"),
    ("too-long-ffff", frame(0x08, b"", length=0xffff), "FWC_LINK_ERR_TOO_LONG"),
    ("length-more-than-data", frame(0x01, b"abcd", length=8), "FWC_LINK_ERR_TRUNCATED"),
    ("length-less-than-data", frame(0x01, b"abcd", length=2), "FWC_LINK_ERR_TRAILING"),
    ("bad-crc", frame(0x01, crc=0x12345678), "FWC_LINK_ERR_BAD_CRC"),
    ("bad-crc-payload-flip", bytes([b ^ (i == 12) for i, b in
                                    enumerate(frame(0x03, bytes(32)))]), "FWC_LINK_ERR_BAD_CRC"),
    ("trailing-byte", GOOD + b"\x00", "FWC_LINK_ERR_TRAILING"),
    ("two-frames", GOOD + GOOD, "FWC_LINK_ERR_TRAILING"),
    ("response-bit", frame(0x81), "FWC_LINK_ERR_NOT_REQUEST"),
    ("request-with-status", frame(0x01, status=1), "FWC_LINK_ERR_NOT_REQUEST"),
]

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-link")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write("# <corpus file> <fwc_link status>: fwc_link_decode_request of the whole file\n")
    for name, data, status in CASES:
        with open(os.path.join(out, name + ".bin"), "wb") as b:
            b.write(data)
        f.write("%s.bin %s\n" % (name, status))
