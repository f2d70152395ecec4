#!/bin/sh
# Interoperability with upstream MCUboot imgtool, both ways:
#  - images signed by 'imgtool sign' (ecdsa-p256, -H 0x200 --pad-header, -S, -v, -s auto, both
#    --public-key-format values) are accepted by 'nusec image verify' (the firmware verifier);
#  - images signed by 'nusec image sign' are accepted by 'imgtool verify', which also reports
#    the same image digest as nusec; a tampered one is refused by both.
# imgtool is not packaged in Debian: set NUSEC_IMGTOOL to a command that runs it, e.g.
#   NUSEC_IMGTOOL="python3 /path/to/mcuboot/scripts/imgtool.py"
# Without it this test exits 77 (skipped). See docs/formats/image.md.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

if [ -z "${NUSEC_IMGTOOL:-}" ]; then
	echo "SKIP: NUSEC_IMGTOOL is not set (upstream imgtool is neither in Debian nor installable" \
		"offline); set it to an imgtool command to run the interoperability checks"
	exit 77
fi
nusec=${NUSEC_CLI:?NUSEC_CLI must name the nusec binary}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nusec-imgtool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# shellcheck disable=SC2086 # NUSEC_IMGTOOL may be a command with arguments
imgtool() { $NUSEC_IMGTOOL "$@"; }

imgtool version || fail "NUSEC_IMGTOOL='$NUSEC_IMGTOOL' does not run"
imgtool keygen -k key.pem -t ecdsa-p256
openssl pkey -in key.pem -pubout -out key.pub.pem
keyhash=$(openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum | cut -c1-64)
head -c 3000 /dev/urandom >body.bin

# imgtool signs, nusec verifies
for format in hash full; do
	imgtool sign -k key.pem --align 4 -v 1.2.3+4 -H 0x200 --pad-header -S 0x20000 -s auto \
		--public-key-format $format body.bin imgtool-$format.img
	digest=$(imgtool verify -k key.pem imgtool-$format.img | sed -n 's/^Image digest: //p')
	[ -n "$digest" ] || fail "imgtool does not verify its own image"
	out=$("$nusec" image verify --key key.pub.pem --min-security-counter 0x01020003 \
		imgtool-$format.img) || fail "nusec rejects imgtool's $format image"
	echo "$out" | grep -q "version 1.2.3+4, security counter 16908291, hash $digest" ||
		fail "nusec reports '$out' for imgtool's $format image (imgtool: $digest)"
	echo "ok: imgtool $format image accepted by nusec: $out"
done
"$nusec" image verify --key-hash "$keyhash" imgtool-full.img || fail "OTP mode, imgtool image"
"$nusec" image verify --key-hash "$keyhash" imgtool-hash.img && fail "OTP mode needs PUBKEY"

# nusec signs, imgtool verifies
for format in hash full; do
	"$nusec" image sign --key key.pem --version 1.2.3+4 --security-counter auto \
		--header-size 0x200 --pubkey-mode $format body.bin nusec-$format.img
	out=$(imgtool verify -k key.pem nusec-$format.img) ||
		fail "imgtool rejects nusec's $format image: $out"
	echo "$out" | grep -q "Image was correctly validated" || fail "imgtool: $out"
	echo "$out" | grep -q "Image version: 1.2.3+4" || fail "imgtool: $out"
	digest=$(echo "$out" | sed -n 's/^Image digest: //p')
	"$nusec" image verify --key key.pem nusec-$format.img | grep -q "hash $digest" ||
		fail "imgtool and nusec disagree on the digest of nusec's $format image"
	# the signed part (header, padding, body, protected TLVs) is byte for byte imgtool's
	signed=$((0x200 + 3000 + 12))
	cmp -n $signed nusec-$format.img imgtool-$format.img ||
		fail "nusec's signed bytes differ from imgtool's ($format)"
	echo "ok: nusec $format image accepted by imgtool, digest $digest"
done

# a tampered nusec image is refused by imgtool too
cp nusec-hash.img tampered.img
printf 'X' | dd of=tampered.img bs=1 seek=600 conv=notrunc 2>/dev/null
if imgtool verify -k key.pem tampered.img; then
	fail "imgtool accepts a tampered image"
fi
"$nusec" image verify --key key.pem tampered.img && fail "nusec accepts a tampered image"
echo "imgtool interoperability checks passed"
