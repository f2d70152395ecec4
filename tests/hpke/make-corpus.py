#!/usr/bin/env python3
# Writes tests/hpke/corpus/: inputs for fuzz-hpke (layout in fuzz-hpke-input.h: u8 enc_len,
# u16 BE aad_len, enc, aad, ciphertext) and expected.txt (`<file> <fwc_hpke_status name>`).
# Built from RFC 9180 A.3.1 (recipient skRm, info "Ode on a Grecian Urn", sequence 0).
# The binary files are committed; this script only documents how they were made.
import os
import struct

PKEM = bytes.fromhex(
    "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325a"
    "c98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4")
PKRM = bytes.fromhex(
    "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a"
    "826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0")
AAD0 = bytes.fromhex("436f756e742d30")  # "Count-0"
CT0 = bytes.fromhex(
    "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f"
    "9076ac232e3ab2523f39513434")
P = bytes.fromhex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")


def frame(enc, aad, ct):
    return struct.pack(">BH", len(enc), len(aad)) + enc + aad + ct


def flip(b, i, mask=0x01):
    b = bytearray(b)
    b[i] ^= mask
    return bytes(b)


cases = [
    ("valid-seq0", frame(PKEM, AAD0, CT0), "FWC_HPKE_OK"),
    ("empty", b"", "FWC_HPKE_ERR_ENC_LENGTH"),
    ("header-only", b"\x41", "FWC_HPKE_ERR_ENC_LENGTH"),
    ("enc-empty", frame(b"", AAD0, CT0), "FWC_HPKE_ERR_ENC_LENGTH"),
    ("enc-truncated-64", frame(PKEM[:64], AAD0, CT0), "FWC_HPKE_ERR_ENC_LENGTH"),
    ("enc-66", frame(PKEM + b"\x00", AAD0, CT0), "FWC_HPKE_ERR_ENC_LENGTH"),
    ("enc-compressed-33", frame(b"\x02" + PKEM[1:33], AAD0, CT0), "FWC_HPKE_ERR_ENC_LENGTH"),
    ("enc-prefix-02", frame(b"\x02" + PKEM[1:], AAD0, CT0), "FWC_HPKE_ERR_ENC_FORMAT"),
    ("enc-prefix-06", frame(b"\x06" + PKEM[1:], AAD0, CT0), "FWC_HPKE_ERR_ENC_FORMAT"),
    ("enc-prefix-00", frame(b"\x00" * 65, AAD0, CT0), "FWC_HPKE_ERR_ENC_FORMAT"),
    ("enc-off-curve-y", frame(flip(PKEM, 64), AAD0, CT0), "FWC_HPKE_ERR_ENC_NOT_ON_CURVE"),
    ("enc-off-curve-x", frame(flip(PKEM, 10, 0x80), AAD0, CT0), "FWC_HPKE_ERR_ENC_NOT_ON_CURVE"),
    ("enc-zero-point", frame(b"\x04" + b"\x00" * 64, AAD0, CT0), "FWC_HPKE_ERR_ENC_NOT_ON_CURVE"),
    ("enc-x-is-p", frame(b"\x04" + P + PKEM[33:], AAD0, CT0), "FWC_HPKE_ERR_ENC_NOT_ON_CURVE"),
    ("enc-all-ff", frame(b"\x04" + b"\xff" * 64, AAD0, CT0), "FWC_HPKE_ERR_ENC_NOT_ON_CURVE"),
    ("enc-other-point", frame(PKRM, AAD0, CT0), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("ct-empty", frame(PKEM, AAD0, b""), "FWC_HPKE_ERR_CT_TOO_SHORT"),
    ("ct-15", frame(PKEM, AAD0, CT0[-15:]), "FWC_HPKE_ERR_CT_TOO_SHORT"),
    ("ct-tag-only", frame(PKEM, AAD0, CT0[-16:]), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("ct-truncated", frame(PKEM, AAD0, CT0[:-1]), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("ct-extended", frame(PKEM, AAD0, CT0 + b"\x00"), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("ct-body-flipped", frame(PKEM, AAD0, flip(CT0, 0)), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("ct-tag-flipped", frame(PKEM, AAD0, flip(CT0, len(CT0) - 1)), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("aad-flipped", frame(PKEM, flip(AAD0, 6), CT0), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("aad-empty", frame(PKEM, b"", CT0), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("aad-seq1", frame(PKEM, b"Count-1", CT0), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("aad-4096", frame(PKEM, b"A" * 4096, CT0), "FWC_HPKE_ERR_TAG_MISMATCH"),
    ("aad-4097", frame(PKEM, b"A" * 4097, CT0), "FWC_HPKE_ERR_AAD_TOO_LONG"),
    ("aad-len-overruns", struct.pack(">BH", 65, 0xffff) + PKEM + AAD0 + CT0,
     "FWC_HPKE_ERR_CT_TOO_SHORT"),
    ("pt-over-cap", frame(PKEM, AAD0, b"\x00" * (256 + 16 + 1)), "FWC_HPKE_ERR_BUFFER_TOO_SMALL"),
    ("pt-at-cap", frame(PKEM, AAD0, b"\x00" * (256 + 16)), "FWC_HPKE_ERR_TAG_MISMATCH"),
]

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
with open(os.path.join(here, "expected.txt"), "w") as f:
    f.write("# <file> <fwc_hpke_status expected from fwc_hpke_open>; see make-corpus.py\n")
    for name, data, expected in cases:
        with open(os.path.join(here, name), "wb") as g:
            g.write(data)
        f.write(f"{name} {expected}\n")
