#!/usr/bin/env python3
# Writes tests/cloud/corpus: bad inputs for the cloud's message parsers. The first byte picks
# the parser (0: setup bundle, 1: package manifest, 2: device request, 3: sealed firmware
# envelope), the rest is the message. expected.txt: <file> <NUSEC_ERROR_...> <message part>.
import os
import struct

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def enc(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):  # insertion order: the caller decides (to test bad orders)
        return head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    if isinstance(v, Raw):
        return v.b
    raise TypeError(v)


class Raw:
    def __init__(self, b):
        self.b = b


def cose(payload_bytes, sig=b"\x00" * 64, tag=True):
    body = enc([b"\xa1\x01\x26", {}, payload_bytes, sig])
    return (b"\xd2" + body) if tag else body


# a valid P-256 point (the generator) for the key fields
G = bytes.fromhex(
    "04"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
)
H = bytes.fromhex("c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5")

cases = []


def bundle(name, payload, code, part, **kw):
    cases.append((name, b"\x00" + cose(enc(payload) if not isinstance(payload, bytes) else payload, **kw), code, part))


good_bundle = {1: 1, 2: "NL3-1", 3: G, 4: G[:1] + H + G[33:]}
bundle("bundle-no-tag.bin", good_bundle, "NUSEC_ERROR_INVALID_DATA", "tag", tag=False)
bundle("bundle-bad-signature.bin", good_bundle, "NUSEC_ERROR_SIGNATURE_INVALID", "signature")
bundle("bundle-version-2.bin", {1: 2, 2: "NL3-1", 3: G, 4: G}, "NUSEC_ERROR_NOT_SUPPORTED", "version 2")
bundle("bundle-unknown-key.bin", {1: 1, 2: "NL3-1", 3: G, 4: G, 9: 0}, "NUSEC_ERROR_INVALID_DATA", "unknown field 9")
bundle("bundle-missing-enc.bin", {1: 1, 2: "NL3-1", 3: G}, "NUSEC_ERROR_INVALID_DATA", "field 4 is missing")
bundle("bundle-short-key.bin", {1: 1, 2: "NL3-1", 3: G[:64], 4: G}, "NUSEC_ERROR_INVALID_DATA", "field 3 has length 64")
bundle("bundle-long-serial.bin", {1: 1, 2: "S" * 65, 3: G, 4: G}, "NUSEC_ERROR_INVALID_DATA", "field 2 has length 65")
bundle("bundle-unordered.bin", {1: 1, 3: G, 2: "NL3-1", 4: G}, "NUSEC_ERROR_INVALID_DATA", "order")
bundle("bundle-serial-nul.bin", {1: 1, 2: "NL3\x001", 3: G, 4: G}, "NUSEC_ERROR_INVALID_DATA", "field 2")
bundle("bundle-serial-bytes.bin", {1: 1, 2: b"NL3-1", 3: G, 4: G}, "NUSEC_ERROR_INVALID_DATA", "field 2")
bundle("bundle-payload-array.bin", [1, 2], "NUSEC_ERROR_INVALID_DATA", "setup bundle")
bundle("bundle-payload-trailing.bin", enc(good_bundle) + b"\x00", "NUSEC_ERROR_INVALID_DATA", "setup bundle")
bundle("bundle-payload-float.bin", b"\xa1\x01\xfa\x3f\x80\x00\x00", "NUSEC_ERROR_INVALID_DATA", "setup bundle")
cases.append(("bundle-truncated.bin", b"\x00" + cose(enc(good_bundle))[:40], "NUSEC_ERROR_INVALID_DATA", "setup bundle"))
cases.append(("bundle-empty.bin", b"\x00", "NUSEC_ERROR_INVALID_DATA", "setup bundle"))

fw = {1: "1.2.3", 2: 7, 3: 100, 4: H}
good_manifest = {1: 1, 2: "pkg", 3: "ord", 4: "NL3", 5: H, 6: "prd", 7: H, 8: fw, 9: 5, 10: 0,
                 11: 10, 12: H, 13: 1}


def manifest(name, m, code, part, raw=None):
    cases.append((name, b"\x01" + (raw if raw is not None else enc(m)), code, part))


def upd(d, k, v):
    out = dict(d)
    out[k] = v
    return out


def without(d, k):
    return {a: b for a, b in d.items() if a != k}


manifest("manifest-missing-token.bin", without(good_manifest, 12), "NUSEC_ERROR_INVALID_DATA", "field 12 is missing")
manifest("manifest-version-0.bin", upd(good_manifest, 1, 0), "NUSEC_ERROR_NOT_SUPPORTED", "version 0")
manifest("manifest-short-hash.bin", upd(good_manifest, 7, H[:31]), "NUSEC_ERROR_INVALID_DATA", "field 7 has length 31")
manifest("manifest-limit-negative.bin", upd(good_manifest, 9, -1), "NUSEC_ERROR_INVALID_DATA", "field 9")
manifest("manifest-fw-not-map.bin", upd(good_manifest, 8, [1]), "NUSEC_ERROR_INVALID_DATA", "field 8")
manifest("manifest-fw-missing-hash.bin", upd(good_manifest, 8, without(fw, 4)), "NUSEC_ERROR_INVALID_DATA", "field 4 is missing")
manifest("manifest-fw-unknown.bin", upd(good_manifest, 8, upd(fw, 5, 0)), "NUSEC_ERROR_INVALID_DATA", "unknown field 5")
manifest("manifest-text-key.bin", None, "NUSEC_ERROR_INVALID_DATA", "not an unsigned integer", raw=b"\xa1\x61a\x01")
manifest("manifest-indefinite.bin", None, "NUSEC_ERROR_INVALID_DATA", "package manifest", raw=b"\xbf\x01\x01\xff")
manifest("manifest-duplicate-key.bin", None, "NUSEC_ERROR_INVALID_DATA", "package manifest", raw=b"\xa2\x01\x01\x01\x01")
manifest("manifest-huge-count.bin", None, "NUSEC_ERROR_INVALID_DATA", "package manifest", raw=b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff")

good_req = {1: 1, 2: "ord", 3: "CHIP-1", 4: b"\x30\x00", 5: 1, 6: "NL3"}
cases.append(("request-bad-signature.bin", b"\x02" + cose(enc(good_req)), "NUSEC_ERROR_SIGNATURE_INVALID", "signature"))
cases.append(("request-alg-none.bin", b"\x02\xd2" + enc([b"\xa1\x01\x27", {}, enc(good_req), b"\x00" * 64]), "NUSEC_ERROR_NOT_SUPPORTED", "device request"))
cases.append(("request-detached.bin", b"\x02\xd2" + enc([b"\xa1\x01\x26", {}, Raw(b"\xf6"), b"\x00" * 64]), "NUSEC_ERROR_NOT_SUPPORTED", "device request"))
cases.append(("request-short-sig.bin", b"\x02" + cose(enc(good_req), sig=b"\x00" * 63), "NUSEC_ERROR_INVALID_DATA", "device request"))

fw_env = lambda items: b"\x03" + enc(items)
cases.append(("sealed-wrong-type.bin", fw_env([1, "nusec-package", G, 4096, 1, [b"\x00" * 17]]), "NUSEC_ERROR_INVALID_DATA", "envelope"))
cases.append(("sealed-version-2.bin", fw_env([2, "nusec-firmware", G, 4096, 1, [b"\x00" * 17]]), "NUSEC_ERROR_NOT_SUPPORTED", "version 2"))
cases.append(("sealed-chunk-size.bin", fw_env([1, "nusec-firmware", G, 1024, 1, [b"\x00" * 17]]), "NUSEC_ERROR_INVALID_DATA", "inconsistent sizes"))
cases.append(("sealed-count.bin", fw_env([1, "nusec-firmware", G, 4096, 5000, [b"\x00" * 17]]), "NUSEC_ERROR_INVALID_DATA", "inconsistent sizes"))
cases.append(("sealed-chunk-length.bin", fw_env([1, "nusec-firmware", G, 4096, 1, [b"\x00" * 18]]), "NUSEC_ERROR_INVALID_DATA", "chunk 0"))
cases.append(("sealed-short-enc.bin", fw_env([1, "nusec-firmware", G[:64], 4096, 1, [b"\x00" * 17]]), "NUSEC_ERROR_INVALID_DATA", "envelope"))
cases.append(("sealed-bad-tag.bin", fw_env([1, "nusec-firmware", G, 4096, 1, [b"\x00" * 17]]), "NUSEC_ERROR_SIGNATURE_INVALID", ""))

os.makedirs(here, exist_ok=True)
with open(os.path.join(here, "expected.txt"), "w") as f:
    for name, data, code, part in cases:
        with open(os.path.join(here, name), "wb") as out:
            out.write(data)
        f.write(f"{name} {code} {part}\n")
