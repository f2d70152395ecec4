#!/bin/sh
# nusec image sign|verify|dump through the CLI ($NUSEC_CLI): a PEM key made by openssl, both
# public key formats, tampering and rollback (exit 1 with the specific reason), bad options
# (exit 2). The key hash is computed with openssl and sha256sum, not with nusec.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

nusec=${NUSEC_CLI:?NUSEC_CLI must name the nusec binary}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nusec-image-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect STATUS PATTERN COMMAND...: runs COMMAND, checks its exit status and that PATTERN
# appears in its stdout or stderr
expect() {
	want=$1
	pattern=$2
	shift 2
	set +e
	"$@" >out.txt 2>err.txt
	got=$?
	set -e
	cat out.txt err.txt >all.txt
	if [ "$got" -ne "$want" ]; then
		cat all.txt >&2
		fail "'$*' exited $got, expected $want"
	fi
	if [ -n "$pattern" ] && ! grep -q -- "$pattern" all.txt; then
		cat all.txt >&2
		fail "'$*' did not print '$pattern'"
	fi
	echo "ok: exit $got${pattern:+, '$pattern'}: $*"
}

# flip one byte at OFFSET of FILE into OUT
flip() {
	cp "$1" "$3"
	orig=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(((orig ^ 1) & 255)))" |
		dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

openssl ecparam -genkey -name prime256v1 -noout | openssl pkcs8 -topk8 -nocrypt -out key.pem
openssl pkey -in key.pem -pubout -out key.pub.pem
openssl ecparam -genkey -name prime256v1 -noout | openssl pkcs8 -topk8 -nocrypt -out other.pem
keyhash=$(openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum | cut -c1-64)
otherhash=$(openssl pkey -in other.pem -pubout -outform DER | sha256sum | cut -c1-64)
head -c 5000 /dev/urandom >body.bin

# sign in both key formats; the output is written whole
expect 0 "security counter 16908291" \
	"$nusec" image sign --key key.pem --version 1.2.3+4 --security-counter auto \
	--header-size 0x200 body.bin hash.img
expect 0 "version 1.2.3+4" \
	"$nusec" image sign -k key.pem -v 1.2.3+4 -s auto -H 512 --pubkey-mode full \
	body.bin full.img
expect 0 "no security counter" \
	"$nusec" image sign -k key.pem -v 0.1 --load-address 0x20000000 body.bin plain.img
[ "$(head -c 4 hash.img | od -An -tx1 | tr -d ' ')" = "3db8f396" ] || fail "bad magic"
cmp -s -n 5000 -i 512:0 hash.img body.bin || fail "body not at offset 512"

# verify: private key, public key, key hash (full format only), counter minimum
expect 0 "OK: hash.img: version 1.2.3+4, security counter 16908291" \
	"$nusec" image verify --key key.pem hash.img
expect 0 "OK: hash.img" "$nusec" image verify --key key.pub.pem hash.img
expect 0 "OK: full.img" "$nusec" image verify --key key.pub.pem full.img
expect 0 "OK: full.img" "$nusec" image verify --key-hash "$keyhash" full.img
expect 0 "OK: full.img" "$nusec" image verify --key-hash "$keyhash" \
	--min-security-counter 16908291 full.img
expect 0 "no security counter" "$nusec" image verify --key key.pub.pem plain.img

# rejections: exit 1 and the specific reason
expect 1 "FWC_IMAGE_ERR_MISSING_PUBKEY" "$nusec" image verify --key-hash "$keyhash" hash.img
expect 1 "FWC_IMAGE_ERR_KEY_HASH_MISMATCH" "$nusec" image verify --key other.pem hash.img
expect 1 "FWC_IMAGE_ERR_KEY_HASH_MISMATCH" "$nusec" image verify --key-hash "$otherhash" full.img
expect 1 "FWC_IMAGE_ERR_ROLLBACK" "$nusec" image verify --key key.pem \
	--min-security-counter 0x01020004 hash.img
expect 1 "FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER" "$nusec" image verify --key key.pem \
	--min-security-counter 1 plain.img
flip hash.img 600 body-tampered.img
expect 1 "image hash mismatch" "$nusec" image verify --key key.pem body-tampered.img
flip hash.img 20 header-tampered.img
expect 1 "FWC_IMAGE_ERR_HASH_MISMATCH" "$nusec" image verify --key key.pem header-tampered.img
size=$(wc -c <hash.img)
flip hash.img $((size - 1)) sig-tampered.img
expect 1 "FWC_IMAGE_ERR_BAD_SIGNATURE" "$nusec" image verify --key key.pem sig-tampered.img
head -c $((size - 5)) hash.img >truncated.img
expect 1 "FWC_IMAGE_ERR_TRUNCATED_TLV_AREA" "$nusec" image verify --key key.pem truncated.img
cp hash.img trailing.img && printf 'x' >>trailing.img
expect 1 "FWC_IMAGE_ERR_TRAILING_DATA" "$nusec" image verify --key key.pem trailing.img
head -c 4096 /dev/zero | tr '\0' '\377' >erased.img
expect 1 "FWC_IMAGE_ERR_NO_IMAGE" "$nusec" image verify --key key.pem erased.img
expect 1 "FWC_IMAGE_ERR_BAD_MAGIC" "$nusec" image verify --key key.pem body.bin

# dump, text and JSON
expect 0 "SEC_CNT    (0x0050)   4 bytes: 03000201 (16908291)" "$nusec" image dump hash.img
expect 0 "KEYHASH    (0x0001)  32 bytes: $keyhash" "$nusec" image dump hash.img
expect 0 "PUBKEY     (0x0002)  91 bytes" "$nusec" image dump full.img
expect 0 "key-hash: $keyhash" "$nusec" image dump full.img
expect 0 "flags:            0x00000020" "$nusec" image dump plain.img
expect 0 '"key_format": "full"' "$nusec" image dump --json full.img
if command -v python3 >/dev/null 2>&1; then
	"$nusec" image dump --json full.img >dump.json
	python3 - "$keyhash" <<'EOF' || fail "JSON dump does not match"
import json, sys
d = json.load(open('dump.json'))
assert d['version']['string'] == '1.2.3+4', d['version']
assert d['security_counter'] == 0x01020003
assert d['header_size'] == 512 and d['image_size'] == 5000
assert d['key_hash'] == sys.argv[1]
assert [t['name'] for t in d['tlvs']] == ['SEC_CNT', 'SHA256', 'PUBKEY', 'ECDSA_SIG']
assert [t['protected'] for t in d['tlvs']] == [True, False, False, False]
EOF
	echo "ok: JSON dump"
fi
expect 1 "FWC_IMAGE_ERR_TRUNCATED_TLV_AREA" "$nusec" image dump truncated.img

# usage errors: exit 2
expect 2 "invalid version" "$nusec" image sign -k key.pem -v 1.2.3.4 body.bin x.img
expect 2 "invalid version" "$nusec" image sign -k key.pem -v 256 body.bin x.img
expect 2 "required" "$nusec" image sign -k key.pem body.bin x.img
expect 2 "expected 2 arguments" "$nusec" image sign -k key.pem -v 1 body.bin
expect 2 "minimum value is 32" "$nusec" image sign -k key.pem -v 1 -H 16 body.bin x.img
expect 2 "security counter" "$nusec" image sign -k key.pem -v 1 -s many body.bin x.img
expect 2 "--pubkey-mode" "$nusec" image sign -k key.pem -v 1 --pubkey-mode raw body.bin x.img
expect 2 "Unknown option" "$nusec" image sign --bogus -k key.pem -v 1 body.bin x.img
expect 2 "exactly one of" "$nusec" image verify hash.img
expect 2 "exactly one of" "$nusec" image verify --key key.pem --key-hash "$keyhash" hash.img
expect 2 "64 hex digits" "$nusec" image verify --key-hash abcd hash.img
expect 2 "--min-security-counter" "$nusec" image verify --key key.pem \
	--min-security-counter -1 hash.img
expect 2 "expected 1 argument" "$nusec" image dump
[ ! -e x.img ] || fail "a failed sign left an output file"

# a key inside a PKCS#11 token (SoftHSM2), as the cloud's HSM holds it
if command -v softhsm2-util >/dev/null 2>&1 && [ -n "${NUSEC_SOFTHSM_MODULE:-}" ]; then
	mkdir tokens
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$tmp" >softhsm2.conf
	SOFTHSM2_CONF=$tmp/softhsm2.conf
	NUSEC_PKCS11_MODULE=$NUSEC_SOFTHSM_MODULE
	export SOFTHSM2_CONF NUSEC_PKCS11_MODULE
	softhsm2-util --init-token --free --label image --so-pin 0000 --pin 1234 >/dev/null
	uri='pkcs11:token=image;object=boot?pin-value=1234'
	"$nusec" key generate "$uri" >hsm-key.txt
	hsmhash=$(sed -n 's/^key-hash: //p' hsm-key.txt)
	sed '/^key-hash:/d' hsm-key.txt >hsm.pub.pem
	[ "$(openssl pkey -pubin -in hsm.pub.pem -outform DER | sha256sum | cut -c1-64)" = \
		"$hsmhash" ] || fail "key hash of the token key"
	expect 0 "security counter 50331649" \
		"$nusec" image sign --key "$uri" -v 3.0.1 -s auto -H 0x200 --pubkey-mode full \
		body.bin hsm.img
	expect 0 "OK: hsm.img" "$nusec" image verify --key-hash "$hsmhash" \
		--min-security-counter 0x03000001 hsm.img
	expect 0 "OK: hsm.img" "$nusec" image verify --key hsm.pub.pem hsm.img
	expect 1 "FWC_IMAGE_ERR_KEY_HASH_MISMATCH" "$nusec" image verify --key-hash "$keyhash" hsm.img
else
	echo "skipped the PKCS#11 part: softhsm2-util or NUSEC_SOFTHSM_MODULE missing"
fi

# missing files: exit 1
expect 1 "missing.bin" "$nusec" image sign -k key.pem -v 1 missing.bin x.img
expect 1 "missing.img" "$nusec" image verify --key key.pem missing.img
expect 1 "nokey.pem" "$nusec" image sign -k nokey.pem -v 1 body.bin x.img
echo "all image CLI checks passed"
