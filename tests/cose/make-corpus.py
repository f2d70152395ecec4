#!/usr/bin/env python3
# Writes the COSE_Sign1 bad-input corpus (tests/cose/corpus/*.bin) and corpus/expected.txt:
# "<file> <fwc_cose status> [<fwc_cbor detail>]" as fwc_cose_sign1_verify returns them with
# the RFC 9052 C.7.1 key, no external AAD, tag optional. Built from the published RFC 9052
# C.2.1 message and the cose-wg/Examples sign1 vectors. The binary files are committed;
# rerun this only to change the corpus.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys

C21 = bytes.fromhex(
    "d28443a10126a10442313154546869732069732074686520636f6e74656e742e"
    "58408eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0"
    "117e2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345ca"
    "cb36")
SIG = C21[-64:]
PAYLOAD = b"This is the content."
# cose-wg/Examples sign1-tests, as published
FAIL01 = bytes.fromhex(
    "d903e68443a10126a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
    "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b"
    "97c4bdb847782bff384c5794")
FAIL03 = bytes.fromhex(
    "d28445a1013903e6a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
    "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b"
    "97c4bdb847782bff384c5794")
PASS01 = bytes.fromhex(
    "d28441a0a201260442313154546869732069732074686520636f6e74656e742e5840eae868ecc176883766c5"
    "dc5ba5b8dca25dab3c2e56a551ce5705b793914348e11a02e5f0344bf2d4ee5c7fd75a68a9f5e0b3cc1f1fc1"
    "409c189566586ff9d610")


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def bstr(b):
    return head(2, len(b)) + b


def sign1(prot, unprot, payload=bstr(PAYLOAD), sig=bstr(SIG), tag=b"\xd2", count=4):
    return tag + head(4, count) + bstr(prot) + unprot + payload + sig


def flip(b, i, mask=1):
    b = bytearray(b)
    b[i] ^= mask
    return bytes(b)


KID = bytes.fromhex("a104423131")
CASES = [
    ("c21-valid", C21, "FWC_COSE_OK"),
    ("c21-payload-flip", flip(C21, 20), "FWC_COSE_ERR_SIGNATURE"),
    ("c21-signature-flip", flip(C21, 40, 0x80), "FWC_COSE_ERR_SIGNATURE"),
    ("c21-alg-flip", flip(C21, 5), "FWC_COSE_ERR_ALG_UNSUPPORTED"),
    ("c21-signature-zero", C21[:-64] + bytes(64), "FWC_COSE_ERR_SIGNATURE"),
    ("c21-signature-r-is-n", C21[:-64] + bytes.fromhex(
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551") + SIG[32:],
     "FWC_COSE_ERR_SIGNATURE"),
    ("cosewg-sign-fail-01-tag998", FAIL01, "FWC_COSE_ERR_WRONG_TAG"),
    ("cosewg-sign-fail-03-alg999", FAIL03, "FWC_COSE_ERR_ALG_UNSUPPORTED"),
    ("cosewg-sign-pass-01-alg-unprotected", PASS01, "FWC_COSE_ERR_ALG_NOT_PROTECTED"),
    ("empty", b"", "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_TRUNCATED"),
    ("truncated", C21[:-1], "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_LENGTH"),
    ("truncated-head", C21[:2], "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_LENGTH"),
    ("trailing", C21 + b"\x00", "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_TRAILING"),
    ("indefinite-array", b"\xd2\x9f" + C21[2:] + b"\xff", "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_INDEFINITE"),
    ("oversized-payload", C21[:11] + b"\x5a\x7f\xff\xff\xff" + C21[12:],
     "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_LENGTH"),
    ("nonshortest-payload-len", sign1(bytes.fromhex("a10126"), KID,
                                      payload=b"\x58\x14" + PAYLOAD),
     "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_NOT_SHORTEST"),
    ("float-in-unprotected", sign1(bytes.fromhex("a10126"), bytes.fromhex("a1182af93c00")),
     "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_FLOAT"),
    ("unprotected-unordered", sign1(bytes.fromhex("a10126"), bytes.fromhex("a20442313103f6")),
     "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_MAP_ORDER"),
    ("unprotected-too-deep", sign1(bytes.fromhex("a10126"),
                                   bytes.fromhex("a1182a") + b"\x81" * 16 + b"\x00"),
     "FWC_COSE_ERR_CBOR FWC_CBOR_ERR_TOO_DEEP"),
    ("tag-19", b"\xd3" + C21[1:], "FWC_COSE_ERR_WRONG_TAG"),
    ("double-tag", b"\xd2" + C21, "FWC_COSE_ERR_WRONG_TAG"),
    ("array-3", sign1(bytes.fromhex("a10126"), KID, sig=b"", count=3), "FWC_COSE_ERR_STRUCTURE"),
    ("array-5", sign1(bytes.fromhex("a10126"), KID, sig=bstr(SIG) + b"\x00", count=5),
     "FWC_COSE_ERR_STRUCTURE"),
    ("map-not-array", b"\xd2\xa2\x01\x02\x03\x04", "FWC_COSE_ERR_STRUCTURE"),
    ("protected-tstr", b"\xd2\x84\x63\x61\x01\x26" + C21[6:], "FWC_COSE_ERR_PROTECTED"),
    ("protected-array", sign1(bytes.fromhex("820126"), KID),
     "FWC_COSE_ERR_PROTECTED FWC_CBOR_ERR_TYPE"),
    ("protected-bad-cbor", sign1(bytes.fromhex("a1011806"), KID),
     "FWC_COSE_ERR_PROTECTED FWC_CBOR_ERR_NOT_SHORTEST"),
    ("protected-unordered", sign1(bytes.fromhex("a204423131" "0126"), b"\xa0"),
     "FWC_COSE_ERR_PROTECTED FWC_CBOR_ERR_MAP_ORDER"),
    ("protected-duplicate", sign1(bytes.fromhex("a201260126"), KID),
     "FWC_COSE_ERR_PROTECTED FWC_CBOR_ERR_DUPLICATE_KEY"),
    ("protected-empty", sign1(b"", KID), "FWC_COSE_ERR_ALG_MISSING"),
    ("protected-no-alg", sign1(bytes.fromhex("a10300"), KID), "FWC_COSE_ERR_ALG_MISSING"),
    ("protected-alg-text", sign1(bytes.fromhex("a101654553323536"), KID),
     "FWC_COSE_ERR_ALG_UNSUPPORTED"),
    ("protected-alg-es384", sign1(bytes.fromhex("a1013822"), KID), "FWC_COSE_ERR_ALG_UNSUPPORTED"),
    ("protected-crit", sign1(bytes.fromhex("a2012602811863"), KID), "FWC_COSE_ERR_CRIT"),
    ("unprotected-crit", sign1(bytes.fromhex("a10126"), bytes.fromhex("a102811863")),
     "FWC_COSE_ERR_CRIT"),
    ("unprotected-array", sign1(bytes.fromhex("a10126"), b"\x80"), "FWC_COSE_ERR_UNPROTECTED"),
    ("header-label-bstr", sign1(bytes.fromhex("a10126"), bytes.fromhex("a14100f6")),
     "FWC_COSE_ERR_HEADER_LABEL"),
    ("alg-in-both", sign1(bytes.fromhex("a10126"), bytes.fromhex("a10126")),
     "FWC_COSE_ERR_DUPLICATE_LABEL"),
    ("kid-in-both", sign1(bytes.fromhex("a20126044131"), bytes.fromhex("a1044131")),
     "FWC_COSE_ERR_DUPLICATE_LABEL"),
    ("kid-text", sign1(bytes.fromhex("a10126"), bytes.fromhex("a104623131")),
     "FWC_COSE_ERR_BAD_KID"),
    ("payload-nil", sign1(bytes.fromhex("a10126"), KID, payload=b"\xf6"), "FWC_COSE_ERR_DETACHED"),
    ("payload-int", sign1(bytes.fromhex("a10126"), KID, payload=b"\x01"), "FWC_COSE_ERR_PAYLOAD"),
    ("payload-text", sign1(bytes.fromhex("a10126"), KID, payload=b"\x61\x61"),
     "FWC_COSE_ERR_PAYLOAD"),
    ("signature-63", sign1(bytes.fromhex("a10126"), KID, sig=bstr(SIG[:63])),
     "FWC_COSE_ERR_SIGNATURE_FORMAT"),
    ("signature-65", sign1(bytes.fromhex("a10126"), KID, sig=bstr(SIG + b"\x00")),
     "FWC_COSE_ERR_SIGNATURE_FORMAT"),
    ("signature-text", sign1(bytes.fromhex("a10126"), KID, sig=b"\x61\x61"),
     "FWC_COSE_ERR_SIGNATURE_FORMAT"),
    ("signature-der", sign1(bytes.fromhex("a10126"), KID, sig=bstr(
        b"\x30\x44\x02\x20" + SIG[:32] + b"\x02\x20" + SIG[32:])),
     "FWC_COSE_ERR_SIGNATURE_FORMAT"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    lines = ["# <corpus file> <fwc_cose status> [<fwc_cbor detail>]: fwc_cose_sign1_verify with",
             "# the RFC 9052 C.7.1 key (kid \"11\"), no external AAD, tag optional.",
             "# c21-valid.bin is the published RFC 9052 C.2.1 message, kept as a fuzzing seed."]
    for name, data, status in CASES:
        fname = name + ".bin"
        with open(os.path.join(out, fname), "wb") as f:
            f.write(data)
        lines.append("%s %s" % (fname, status))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
