#!/usr/bin/python3
# Writes tests/image/corpus/: MCUboot images, valid and broken in one specific way each, for the
# fuzz-image harness, and corpus/expected.txt with the status fwc_image_verify must return for
# each file under the harness's two trust anchors (fuzz-image-trust.h). The images are built
# here from the format description (docs/formats/image.md), independently of the C code, and
# signed with python3-cryptography (Debian).
#
# The two test keys are derived from fixed labels, so that fuzz-image-trust.h stays valid when
# the corpus is regenerated; they are test keys, known to anyone who reads this file.
#
# usage: tests/image/make-corpus.py   (from anywhere; rewrites the corpus and the trust header)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import hashlib
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                            encode_dss_signature)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')
P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551

MAGIC = 0x96f3b83d
PROT_MAGIC = 0x6908
TLV_MAGIC = 0x6907
T_KEYHASH, T_PUBKEY, T_SHA256, T_SIG, T_SEC_CNT = 0x01, 0x02, 0x10, 0x22, 0x50
MIN_SECURITY_COUNTER = 2  # must match FUZZ_IMAGE_MIN_SECURITY_COUNTER


def derive_key(label):
    d = int.from_bytes(hashlib.sha256(label).digest(), 'big') % (P256_N - 1) + 1
    return ec.derive_private_key(d, ec.SECP256R1())


TRUSTED = derive_key(b'nusec fuzz-image trusted test key')
OTHER = derive_key(b'nusec fuzz-image untrusted test key')


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def point(key):
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def tlv(kind, value):
    return struct.pack('<HH', kind, len(value)) + value


BODY = b'fuzz-image seed body\n' + bytes((i * 13 + 5) & 0xff for i in range(75))


def build(signer=TRUSTED, key_kind='full', sec=5, prot_extra=b'', flags=0, hdr_size=0x40,
          version=(1, 2, 3, 4), body=BODY, items=('sha', 'key', 'sig'), extra=b'',
          empty_prot=False):
    """Returns (image, offsets). items: the unprotected TLVs in order: 'sha', 'key', 'sig',
    'keyhash', 'pubkey', or raw bytes; extra: raw bytes appended inside the TLV area."""
    prot = b''
    if sec is not None:
        prot += tlv(T_SEC_CNT, struct.pack('<I', sec))
    prot += prot_extra
    prot_area = b''
    if prot or empty_prot:
        prot_area = struct.pack('<HH', PROT_MAGIC, len(prot) + 4) + prot
    hdr = struct.pack('<IIHHIIBBHII', MAGIC, 0, hdr_size, len(prot_area), len(body), flags,
                      *version, 0)
    signed = hdr + b'\xff' * (hdr_size - 32) + body + prot_area
    digest = hashlib.sha256(signed).digest()
    sig = signer.sign(signed, ec.ECDSA(hashes.SHA256()))
    out = b''
    for item in items:
        if item == 'sha':
            out += tlv(T_SHA256, digest)
        elif item == 'key':
            out += tlv(T_PUBKEY, spki(signer)) if key_kind == 'full' else \
                tlv(T_KEYHASH, hashlib.sha256(spki(signer)).digest())
        elif item == 'keyhash':
            out += tlv(T_KEYHASH, hashlib.sha256(spki(signer)).digest())
        elif item == 'pubkey':
            out += tlv(T_PUBKEY, spki(signer))
        elif item == 'sig':
            out += tlv(T_SIG, sig)
        else:
            out += item
    out += extra
    area = struct.pack('<HH', TLV_MAGIC, len(out) + 4) + out
    offsets = {
        'body': hdr_size,
        'prot': hdr_size + len(body),
        'tlv': len(signed),
        'sig': len(signed) + 4 + out.find(tlv(T_SIG, sig)) + 4,
        'sig_len': len(sig),
        'sig_raw': sig,
    }
    return signed + area, offsets


def poke(buf, off, data):
    return buf[:off] + data + buf[off + len(data):]


def flip(buf, off):
    return poke(buf, off, bytes([buf[off] ^ 0x01]))


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for name in os.listdir(CORPUS):
        os.unlink(os.path.join(CORPUS, name))
    cases = []  # (file, bytes, status with the public key, status with the OTP key hash)

    def add(name, data, st_key, st_hash=None):
        cases.append((name, data, st_key, st_hash or st_key))

    ok_full, o = build()
    ok_hash, oh = build(key_kind='hash')
    add('ok-full.bin', ok_full, 'FWC_IMAGE_OK')
    add('ok-hash.bin', ok_hash, 'FWC_IMAGE_OK', 'FWC_IMAGE_ERR_MISSING_PUBKEY')
    add('ok-unknown-unprotected-tlv.bin', build(extra=tlv(0x7f, b'ignored'))[0], 'FWC_IMAGE_OK')
    add('empty-protected-area.bin', build(sec=None, empty_prot=True)[0],
        'FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER')
    add('empty.bin', b'', 'FWC_IMAGE_ERR_NO_IMAGE')
    add('erased.bin', b'\xff' * 256, 'FWC_IMAGE_ERR_NO_IMAGE')
    add('short-header.bin', ok_full[:20], 'FWC_IMAGE_ERR_TRUNCATED_HEADER')
    add('three-bytes.bin', ok_full[:3], 'FWC_IMAGE_ERR_TRUNCATED_HEADER')
    add('bad-magic.bin', flip(ok_full, 0), 'FWC_IMAGE_ERR_BAD_MAGIC')
    add('hdr-size-16.bin', poke(ok_full, 8, struct.pack('<H', 16)), 'FWC_IMAGE_ERR_HEADER_SIZE')
    add('hdr-size-past-end.bin', poke(ok_full, 8, struct.pack('<H', 0xffff)),
        'FWC_IMAGE_ERR_TRUNCATED_HEADER')
    add('img-size-overflow.bin', poke(ok_full, 12, struct.pack('<I', 0xffffffff)),
        'FWC_IMAGE_ERR_SIZE_OVERFLOW')
    add('img-size-past-end.bin', poke(ok_full, 12, struct.pack('<I', len(ok_full))),
        'FWC_IMAGE_ERR_TRUNCATED_BODY')
    add('truncated-body.bin', ok_full[:o['body'] + 10], 'FWC_IMAGE_ERR_TRUNCATED_BODY')
    add('truncated-prot-info.bin', ok_full[:o['prot'] + 2], 'FWC_IMAGE_ERR_TRUNCATED_TLV_INFO')
    add('truncated-prot-area.bin', ok_full[:o['prot'] + 6], 'FWC_IMAGE_ERR_TRUNCATED_TLV_AREA')
    add('truncated-tlv-info.bin', ok_full[:o['tlv'] + 3], 'FWC_IMAGE_ERR_TRUNCATED_TLV_INFO')
    add('truncated-tlv-area.bin', ok_full[:-10], 'FWC_IMAGE_ERR_TRUNCATED_TLV_AREA')
    add('prot-magic.bin', flip(ok_full, o['prot']), 'FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC')
    add('prot-size-mismatch.bin', poke(ok_full, 10, struct.pack('<H', 16)),
        'FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH')
    add('prot-undeclared.bin', poke(ok_full, 10, struct.pack('<H', 0)),
        'FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH')
    add('tlv-magic.bin', flip(ok_full, o['tlv']), 'FWC_IMAGE_ERR_BAD_TLV_MAGIC')
    add('tlv-area-length.bin', poke(ok_full, o['tlv'] + 2, struct.pack('<H', 2)),
        'FWC_IMAGE_ERR_TLV_AREA_LENGTH')
    tot = struct.unpack('<H', ok_full[o['tlv'] + 2:o['tlv'] + 4])[0]
    add('tlv-truncated.bin', poke(ok_full, o['tlv'] + 2, struct.pack('<H', tot - 1))[:-1],
        'FWC_IMAGE_ERR_TRUNCATED_TLV')
    add('tlv-header-truncated.bin', build(extra=b'\x7f\x00')[0], 'FWC_IMAGE_ERR_TRUNCATED_TLV')
    add('trailing.bin', ok_full + b'\xff' * 16, 'FWC_IMAGE_ERR_TRAILING_DATA')
    add('prot-unknown.bin', build(prot_extra=tlv(0x40, bytes(12)))[0],
        'FWC_IMAGE_ERR_UNKNOWN_PROTECTED_TLV')
    add('prot-dup-sec-cnt.bin', build(prot_extra=tlv(T_SEC_CNT, struct.pack('<I', 9)))[0],
        'FWC_IMAGE_ERR_DUPLICATE_TLV')
    add('sec-cnt-length.bin', build(sec=None, prot_extra=tlv(T_SEC_CNT, b'\x05\x00'))[0],
        'FWC_IMAGE_ERR_BAD_TLV_LENGTH')
    add('sec-cnt-unprotected.bin',
        build(sec=None, extra=tlv(T_SEC_CNT, struct.pack('<I', 99)))[0],
        'FWC_IMAGE_ERR_UNPROTECTED_SEC_CNT')
    add('sha-length.bin', build(items=('key', 'sig', tlv(T_SHA256, bytes(31))))[0],
        'FWC_IMAGE_ERR_BAD_TLV_LENGTH')
    add('dup-sha.bin', build(items=('sha', 'sha', 'key', 'sig'))[0], 'FWC_IMAGE_ERR_DUPLICATE_TLV')
    add('dup-key.bin', build(items=('sha', 'keyhash', 'pubkey', 'sig'))[0],
        'FWC_IMAGE_ERR_DUPLICATE_TLV')
    add('dup-sig.bin', build(items=('sha', 'key', 'sig', 'sig'))[0], 'FWC_IMAGE_ERR_DUPLICATE_TLV')
    add('encrypted.bin', build(flags=0x04)[0], 'FWC_IMAGE_ERR_ENCRYPTED')
    add('non-bootable.bin', build(flags=0x10)[0], 'FWC_IMAGE_ERR_UNSUPPORTED_FLAGS')
    add('no-sha.bin', build(items=('key', 'sig'))[0], 'FWC_IMAGE_ERR_MISSING_HASH')
    add('hash-mismatch.bin', flip(ok_full, o['body'] + 3), 'FWC_IMAGE_ERR_HASH_MISMATCH')
    add('header-tampered.bin', flip(ok_full, 20), 'FWC_IMAGE_ERR_HASH_MISMATCH')
    add('sec-cnt-tampered.bin', flip(ok_full, o['prot'] + 8), 'FWC_IMAGE_ERR_HASH_MISMATCH')
    add('no-key.bin', build(items=('sha', 'sig'))[0], 'FWC_IMAGE_ERR_MISSING_KEY')
    add('wrong-key.bin', build(signer=OTHER)[0], 'FWC_IMAGE_ERR_KEY_HASH_MISMATCH')
    add('wrong-key-hash-mode.bin', build(signer=OTHER, key_kind='hash')[0],
        'FWC_IMAGE_ERR_KEY_HASH_MISMATCH', 'FWC_IMAGE_ERR_MISSING_PUBKEY')
    # an attacker's signature under the trusted key's identity
    forged_hash, of = build(signer=OTHER, key_kind='hash',
                            items=('sha', tlv(T_KEYHASH, hashlib.sha256(spki(TRUSTED)).digest()),
                                   'sig'))
    add('forged-keyhash.bin', forged_hash, 'FWC_IMAGE_ERR_BAD_SIGNATURE',
        'FWC_IMAGE_ERR_MISSING_PUBKEY')
    forged_full, _ = build(signer=OTHER, items=('sha', tlv(T_PUBKEY, spki(TRUSTED)), 'sig'))
    add('forged-pubkey.bin', forged_full, 'FWC_IMAGE_ERR_BAD_SIGNATURE')
    add('no-sig.bin', build(items=('sha', 'key'))[0], 'FWC_IMAGE_ERR_MISSING_SIGNATURE')
    add('sig-der.bin', poke(ok_full, o['sig'], b'\x31'), 'FWC_IMAGE_ERR_BAD_SIGNATURE_DER')
    r, s = decode_dss_signature(o['sig_raw'])
    bad_sig = encode_dss_signature(r, (s ^ 1) or 1)
    add('sig-bad.bin', build(items=('sha', 'key', tlv(T_SIG, bad_sig)))[0],
        'FWC_IMAGE_ERR_BAD_SIGNATURE')
    add('sig-padded.bin', build(items=('sha', 'key', tlv(T_SIG, o['sig_raw'] + b'\x00\x00')))[0],
        'FWC_IMAGE_ERR_BAD_SIGNATURE_DER')
    add('no-sec-cnt.bin', build(sec=None)[0], 'FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER')
    add('rollback.bin', build(sec=MIN_SECURITY_COUNTER - 1)[0], 'FWC_IMAGE_ERR_ROLLBACK')
    add('sec-cnt-at-minimum.bin', build(sec=MIN_SECURITY_COUNTER)[0], 'FWC_IMAGE_OK')

    with open(os.path.join(CORPUS, 'expected.txt'), 'w') as f:
        f.write('# file, status with the public key, status with the OTP key hash '
                '(fuzz-image-trust.h); written by make-corpus.py\n')
        for name, data, st_key, st_hash in cases:
            with open(os.path.join(CORPUS, name), 'wb') as img:
                img.write(data)
            f.write('%s %s %s\n' % (name, st_key, st_hash))

    def c_array(data):
        lines = []
        for i in range(0, len(data), 12):
            lines.append('\t' + ' '.join('0x%02x,' % b for b in data[i:i + 12]))
        return '\n'.join(lines)

    with open(os.path.join(HERE, 'fuzz-image-trust.h'), 'w') as f:
        f.write('''/*
 * The trust anchors of the fuzz-image harness and of the corpus expectations: the public key of
 * the test key 'nusec fuzz-image trusted test key' (make-corpus.py) and its key hash (SHA-256
 * of the DER SubjectPublicKeyInfo). Written by make-corpus.py.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdint.h>

#define FUZZ_IMAGE_MIN_SECURITY_COUNTER %d

static const uint8_t fuzz_image_public_key[65] = {
%s
};

static const uint8_t fuzz_image_key_hash[32] = {
%s
};
''' % (MIN_SECURITY_COUNTER, c_array(point(TRUSTED)),
       c_array(hashlib.sha256(spki(TRUSTED)).digest())))
    print('%d corpus files written' % len(cases))


if __name__ == '__main__':
    main()
