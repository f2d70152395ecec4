#!/usr/bin/env python3
# Writes the NuLink3 USB frame corpus (tests/nulink3/corpus/*.bin) and its expected.txt:
# "<file> <fwn_usb status of fwn_usb_decode_request>". The binary files are committed; rerun
# this only to change the corpus.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import struct
import sys
import zlib


def frame(cmd, payload=b"", status=0, version=1, magic=b"NU", length=None, crc=None):
    hdr = magic + bytes([version, cmd]) + struct.pack("<HH", status,
                                                      len(payload) if length is None else length)
    body = hdr + payload
    return body + struct.pack("<I", zlib.crc32(body) if crc is None else crc)


GOOD = frame(0x01)
CASES = [
    ("get-info-valid", GOOD, "FWN_USB_OK"),
    ("sign-tls-valid", frame(0x05, bytes(range(32))), "FWN_USB_OK"),
    ("max-payload-valid", frame(0x10, bytes(16384)), "FWN_USB_OK"),
    ("empty", b"", "FWN_USB_ERR_TRUNCATED"),
    ("one-byte", b"N", "FWN_USB_ERR_TRUNCATED"),
    ("header-only", GOOD[:8], "FWN_USB_ERR_TRUNCATED"),
    ("no-crc", GOOD[:-4], "FWN_USB_ERR_TRUNCATED"),
    ("crc-short", GOOD[:-1], "FWN_USB_ERR_TRUNCATED"),
    ("payload-short", frame(0x10, bytes(100))[:50], "FWN_USB_ERR_TRUNCATED"),
    ("bad-magic-0", b"X" + GOOD[1:], "FWN_USB_ERR_BAD_MAGIC"),
    ("bad-magic-1", b"NX" + GOOD[2:], "FWN_USB_ERR_BAD_MAGIC"),
    ("target-link-magic", frame(0x01, magic=b"NT"), "FWN_USB_ERR_BAD_MAGIC"),
    ("bad-magic-short", b"Q", "FWN_USB_ERR_BAD_MAGIC"),
    ("version-0", frame(0x01, version=0), "FWN_USB_ERR_BAD_VERSION"),
    ("version-2", frame(0x01, version=2), "FWN_USB_ERR_BAD_VERSION"),
    ("too-long", frame(0x10, b"", length=16385), "FWN_USB_ERR_TOO_LONG"),
    ("too-long-ffff", frame(0x10, b"", length=0xffff), "FWN_USB_ERR_TOO_LONG"),
    ("length-more-than-data", frame(0x01, b"abcd", length=8), "FWN_USB_ERR_TRUNCATED"),
    ("length-less-than-data", frame(0x01, b"abcd", length=2), "FWN_USB_ERR_TRAILING"),
    ("bad-crc", frame(0x01, crc=0x12345678), "FWN_USB_ERR_BAD_CRC"),
    ("bad-crc-payload-flip", bytes([b ^ (i == 12) for i, b in
                                    enumerate(frame(0x05, bytes(32)))]), "FWN_USB_ERR_BAD_CRC"),
    ("trailing-byte", GOOD + b"\x00", "FWN_USB_ERR_TRAILING"),
    ("two-frames", GOOD + GOOD, "FWN_USB_ERR_TRAILING"),
    ("response-bit", frame(0x81), "FWN_USB_ERR_NOT_REQUEST"),
    ("request-with-status", frame(0x01, status=1), "FWN_USB_ERR_NOT_REQUEST"),
]

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write("# <corpus file> <fwn_usb status>: fwn_usb_decode_request of the whole file\n")
    for name, data, status in CASES:
        with open(os.path.join(out, name + ".bin"), "wb") as b:
            b.write(data)
        f.write("%s.bin %s\n" % (name, status))
