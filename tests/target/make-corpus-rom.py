#!/usr/bin/env python3
# Writes the boot ROM command corpus (tests/target/corpus-rom/*.bin) and its expected.txt:
# "<file> <fwc_tlink status of the LAST response>" when the frames of the file are sent in
# order to a fresh fabricated chip (fuzz-rom-run.h, RAM HAL, seed 42). The binary files are
# committed; rerun this only to change the corpus. Needs openssl (for the imgtool key hash).
# SPDX-License-Identifier: LGPL-2.1-or-later
import hashlib
import os
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
IMGDIR = os.path.join(HERE, "..", "image", "imgtool")


def frame(cmd, payload=b"", status=0):
    body = b"NT\x01" + bytes([cmd]) + struct.pack("<HH", status, len(payload)) + payload
    return body + struct.pack("<I", zlib.crc32(body))


def u32(v):
    return struct.pack("<I", v)


GET_INFO, ATTEST, WRITE_ROT, GEN_KEY, GET_CSR, WRITE_CERT = 1, 2, 3, 4, 5, 6
FLASH_ERASE, FLASH_WRITE, FLASH_HASH, FLASH_READ, SET_LC, BOOT, RECEIPT, GET_CERT = range(7, 15)
ATTEST_KEY = 15

spki = subprocess.run(["openssl", "pkey", "-pubin", "-in",
                       os.path.join(IMGDIR, "imgtool-ec-p256.pub.pem"), "-outform", "DER"],
                      check=True, capture_output=True).stdout
ROT = hashlib.sha256(spki).digest()
FULL = open(os.path.join(IMGDIR, "imgtool-full.bin"), "rb").read()
HASHMODE = open(os.path.join(IMGDIR, "imgtool-hash.bin"), "rb").read()


def write_image(img):
    return frame(FLASH_ERASE, u32(0) + u32(1024)) + frame(FLASH_WRITE, u32(0) + img)


def flip(b, i):
    b = bytearray(b)
    b[i] ^= 1
    return bytes(b)


CASES = [
    ("get-info", frame(GET_INFO), "FWC_TLINK_OK"),
    ("get-info-payload", frame(GET_INFO, b"x"), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("unknown-command", frame(0x42), "FWC_TLINK_ERR_UNKNOWN_COMMAND"),
    ("unknown-command-0x10", frame(0x10), "FWC_TLINK_ERR_UNKNOWN_COMMAND"),
    ("attest-key-no-key", frame(ATTEST_KEY, bytes(32)), "FWC_TLINK_ERR_NO_KEY"),
    ("attest-key", frame(GEN_KEY) + frame(ATTEST_KEY, bytes(32)), "FWC_TLINK_OK"),
    ("attest-key-short-nonce", frame(GEN_KEY) + frame(ATTEST_KEY, bytes(31)),
     "FWC_TLINK_ERR_BAD_LENGTH"),
    ("bad-crc", frame(GET_INFO)[:-1] + b"\x00", "FWC_TLINK_ERR_BAD_FRAME"),
    ("bad-magic", b"XX" + frame(GET_INFO)[2:], "FWC_TLINK_ERR_BAD_FRAME"),
    ("truncated", frame(GET_INFO)[:5], "FWC_TLINK_ERR_BAD_FRAME"),
    ("empty", b"", "FWC_TLINK_ERR_BAD_FRAME"),
    ("response-bit", frame(0x81), "FWC_TLINK_ERR_BAD_FRAME"),
    ("attest", frame(ATTEST, bytes(32)), "FWC_TLINK_OK"),
    ("attest-short-nonce", frame(ATTEST, bytes(16)), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("write-rot", frame(WRITE_ROT, ROT), "FWC_TLINK_OK"),
    ("write-rot-zero", frame(WRITE_ROT, bytes(32)), "FWC_TLINK_ERR_BAD_ARGUMENT"),
    ("write-rot-short", frame(WRITE_ROT, ROT[:31]), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("write-rot-twice-other", frame(WRITE_ROT, ROT) + frame(WRITE_ROT, flip(ROT, 0)),
     "FWC_TLINK_ERR_ROT_ALREADY_SET"),
    ("gen-key-csr", frame(GEN_KEY) + frame(GET_CSR), "FWC_TLINK_OK"),
    ("gen-key-twice", frame(GEN_KEY) + frame(GEN_KEY), "FWC_TLINK_ERR_KEY_EXISTS"),
    ("csr-no-key", frame(GET_CSR), "FWC_TLINK_ERR_NO_KEY"),
    ("receipt", frame(GEN_KEY) + frame(RECEIPT, b"nonce"), "FWC_TLINK_OK"),
    ("receipt-long-nonce", frame(GEN_KEY) + frame(RECEIPT, bytes(33)),
     "FWC_TLINK_ERR_BAD_LENGTH"),
    ("cert-no-key", frame(WRITE_CERT, b"\x01\x01\x00\x30"), "FWC_TLINK_ERR_NO_KEY"),
    ("cert-count-0", frame(GEN_KEY) + frame(WRITE_CERT, b"\x00"),
     "FWC_TLINK_ERR_CERT_CHAIN_FORMAT"),
    ("cert-count-5", frame(GEN_KEY) + frame(WRITE_CERT, b"\x05" + b"\x01\x00\x30" * 5),
     "FWC_TLINK_ERR_CERT_CHAIN_FORMAT"),
    ("cert-length-past-end", frame(GEN_KEY) + frame(WRITE_CERT, b"\x01\xff\x0f\x30"),
     "FWC_TLINK_ERR_CERT_CHAIN_FORMAT"),
    ("cert-trailing", frame(GEN_KEY) + frame(WRITE_CERT, b"\x01\x01\x00\x30\x00"),
     "FWC_TLINK_ERR_CERT_CHAIN_FORMAT"),
    ("cert-not-der", frame(GEN_KEY) + frame(WRITE_CERT, b"\x01\x04\x00\x30\x02\x05\x00"),
     "FWC_TLINK_ERR_CERT_PARSE"),
    ("cert-get-none", frame(GET_CERT), "FWC_TLINK_ERR_NO_CERT"),
    ("erase-unaligned", frame(FLASH_ERASE, u32(1) + u32(1024)), "FWC_TLINK_ERR_FLASH_ALIGN"),
    ("erase-zero", frame(FLASH_ERASE, u32(0) + u32(0)), "FWC_TLINK_ERR_FLASH_RANGE"),
    ("erase-overflow", frame(FLASH_ERASE, u32(0xfffffc00) + u32(0x800)),
     "FWC_TLINK_ERR_FLASH_RANGE"),
    ("write-past-end", frame(FLASH_WRITE, u32(0xfffe) + b"abcd"), "FWC_TLINK_ERR_FLASH_RANGE"),
    ("write-no-data", frame(FLASH_WRITE, u32(0)), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("write-too-long", frame(FLASH_WRITE, u32(0) + bytes(2049)), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("write-twice", frame(FLASH_WRITE, u32(0) + b"ab") + frame(FLASH_WRITE, u32(1) + b"c"),
     "FWC_TLINK_ERR_FLASH_NOT_ERASED"),
    ("hash-range", frame(FLASH_HASH, u32(0) + u32(0x10001)), "FWC_TLINK_ERR_FLASH_RANGE"),
    ("read-too-long", frame(FLASH_READ, u32(0) + u32(2049)), "FWC_TLINK_ERR_FLASH_RANGE"),
    ("read", frame(FLASH_READ, u32(0) + u32(16)), "FWC_TLINK_OK"),
    ("lifecycle-skip", frame(SET_LC, b"\x02"), "FWC_TLINK_ERR_LIFECYCLE_INVALID"),
    ("lifecycle-precondition", frame(SET_LC, b"\x01"),
     "FWC_TLINK_ERR_LIFECYCLE_PRECONDITION"),
    ("lifecycle-bad-length", frame(SET_LC, b"\x01\x02"), "FWC_TLINK_ERR_BAD_LENGTH"),
    ("boot-no-rot", frame(BOOT), "FWC_TLINK_ERR_ROT_NOT_SET"),
    ("boot-no-image", frame(WRITE_ROT, ROT) + frame(BOOT), "FWC_TLINK_ERR_BOOT_REJECTED"),
    ("boot-imgtool-full", frame(WRITE_ROT, ROT) + write_image(FULL) + frame(BOOT),
     "FWC_TLINK_OK"),
    ("boot-imgtool-full-receipt", frame(WRITE_ROT, ROT) + frame(GEN_KEY) + write_image(FULL) +
     frame(BOOT) + frame(RECEIPT, b"n"), "FWC_TLINK_OK"),
    ("boot-imgtool-hash-mode", frame(WRITE_ROT, ROT) + write_image(HASHMODE) + frame(BOOT),
     "FWC_TLINK_ERR_BOOT_REJECTED"),
    ("boot-imgtool-tampered-body", frame(WRITE_ROT, ROT) + write_image(flip(FULL, 40)) +
     frame(BOOT), "FWC_TLINK_ERR_BOOT_REJECTED"),
    ("boot-imgtool-wrong-rot", frame(WRITE_ROT, flip(ROT, 3)) + write_image(FULL) + frame(BOOT),
     "FWC_TLINK_ERR_BOOT_REJECTED"),
    ("boot-imgtool-header-size-huge", frame(WRITE_ROT, ROT) +
     write_image(FULL[:8] + b"\xff\xff" + FULL[10:]) + frame(BOOT),
     "FWC_TLINK_ERR_BOOT_REJECTED"),
    ("boot-imgtool-img-size-huge", frame(WRITE_ROT, ROT) +
     write_image(FULL[:12] + b"\xff\xff\xff\xff" + FULL[16:]) + frame(BOOT),
     "FWC_TLINK_ERR_BOOT_REJECTED"),
]

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus-rom")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write("# <corpus file> <fwc_tlink status of the last response>: the file's frames sent in\n"
            "# order to a fresh fabricated RAM chip (tests/target/fuzz-rom-run.h, seed 42)\n")
    for name, data, status in CASES:
        with open(os.path.join(out, name + ".bin"), "wb") as b:
            b.write(data)
        f.write("%s.bin %s\n" % (name, status))
