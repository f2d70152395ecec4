#!/usr/bin/env python3
# Writes the CBOR bad-input corpus (tests/cbor/corpus/*.bin) and corpus/expected.txt, the
# status each file must be rejected with by fwc_cbor_validate(data, len, 0). The binary files
# are committed; rerun this only to change the corpus.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys

CASES = [
    # name, hex, expected status
    ("empty", "", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-uint8", "18", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-uint16", "1901", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-uint32", "1a000100", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-uint64", "1b00000001000000", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-tag", "d2", "FWC_CBOR_ERR_TRUNCATED"),
    ("truncated-in-array", "83010218", "FWC_CBOR_ERR_TRUNCATED"),
    ("oversized-bstr", "59ffff00112233", "FWC_CBOR_ERR_LENGTH"),
    ("oversized-bstr64", "5bffffffffffffffff00", "FWC_CBOR_ERR_LENGTH"),
    ("oversized-tstr", "6a68656c6c6f", "FWC_CBOR_ERR_LENGTH"),
    ("oversized-array", "9a7fffffff00", "FWC_CBOR_ERR_LENGTH"),
    ("oversized-map", "a30102", "FWC_CBOR_ERR_LENGTH"),
    ("nested-oversized", "8244010203", "FWC_CBOR_ERR_LENGTH"),
    ("indefinite-bstr", "5f42010243030405ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("indefinite-tstr", "7f657374726561646d696e67ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("indefinite-array", "9f01820203820405ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("indefinite-map", "bf6346756ef563416d7421ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("indefinite-inner", "83018202039f0405ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("lone-break", "ff", "FWC_CBOR_ERR_INDEFINITE"),
    ("reserved-ai28", "1c", "FWC_CBOR_ERR_RESERVED_AI"),
    ("reserved-ai29-bstr", "5d00", "FWC_CBOR_ERR_RESERVED_AI"),
    ("reserved-ai30-simple", "fe", "FWC_CBOR_ERR_RESERVED_AI"),
    ("reserved-ai31-uint", "1f", "FWC_CBOR_ERR_RESERVED_AI"),
    ("reserved-ai31-tag", "df00", "FWC_CBOR_ERR_RESERVED_AI"),
    ("nonshortest-uint8", "1817", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-uint16", "1900ff", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-uint32", "1a0000ffff", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-uint64", "1b00000000ffffffff", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-nint", "3900ff", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-bstr-len", "580141", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-array-len", "98020102", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-map-len", "b8010102", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("nonshortest-tag", "d8128443a10126a0f64100", "FWC_CBOR_ERR_NOT_SHORTEST"),
    ("simple24", "f818", "FWC_CBOR_ERR_BAD_SIMPLE"),
    ("simple-two-byte-low", "f800", "FWC_CBOR_ERR_BAD_SIMPLE"),
    ("float-half", "f93c00", "FWC_CBOR_ERR_FLOAT"),
    ("float-single", "fa47c35000", "FWC_CBOR_ERR_FLOAT"),
    ("float-double", "fb3ff199999999999a", "FWC_CBOR_ERR_FLOAT"),
    ("float-in-map", "a101a10af97e00", "FWC_CBOR_ERR_FLOAT"),
    ("utf8-ff", "61ff", "FWC_CBOR_ERR_BAD_UTF8"),
    ("utf8-overlong", "62c0af", "FWC_CBOR_ERR_BAD_UTF8"),
    ("utf8-surrogate", "63eda080", "FWC_CBOR_ERR_BAD_UTF8"),
    ("utf8-above-max", "64f4908080", "FWC_CBOR_ERR_BAD_UTF8"),
    ("utf8-cut", "62e6b0", "FWC_CBOR_ERR_BAD_UTF8"),
    ("utf8-map-key", "a162c328 00".replace(" ", ""), "FWC_CBOR_ERR_BAD_UTF8"),
    ("too-deep-arrays", "81" * 17 + "00", "FWC_CBOR_ERR_TOO_DEEP"),
    ("too-deep-tags", "c1" * 17 + "00", "FWC_CBOR_ERR_TOO_DEEP"),
    ("too-deep-maps", "a100" * 17 + "00", "FWC_CBOR_ERR_TOO_DEEP"),
    ("trailing-byte", "a1012600", "FWC_CBOR_ERR_TRAILING"),
    ("two-items", "8001", "FWC_CBOR_ERR_TRAILING"),
    ("map-unordered-int", "a204000126", "FWC_CBOR_ERR_MAP_ORDER"),
    ("map-unordered-neg", "a2200001 00".replace(" ", ""), "FWC_CBOR_ERR_MAP_ORDER"),
    ("map-unordered-text", "a2626161006162 00".replace(" ", ""), "FWC_CBOR_ERR_MAP_ORDER"),
    ("map-unordered-nested", "82a0a202000100", "FWC_CBOR_ERR_MAP_ORDER"),
    ("map-duplicate", "a201260126", "FWC_CBOR_ERR_DUPLICATE_KEY"),
    ("map-duplicate-text", "a2616100616101", "FWC_CBOR_ERR_DUPLICATE_KEY"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    lines = ["# <corpus file> <status fwc_cbor_validate(data, len, 0) must return>"]
    for name, hexs, status in CASES:
        fname = name + ".bin"
        with open(os.path.join(out, fname), "wb") as f:
            f.write(bytes.fromhex(hexs))
        lines.append("%s %s" % (fname, status))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
