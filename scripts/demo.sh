#!/bin/sh
# The README's demo command. Until the station core lands it shows the foundation: a boot key
# generated inside a SoftHSM2 token signs a sample firmware into an MCUboot image, the
# firmware-side verifier accepts it against the key hash a target keeps in OTP, and refuses a
# tampered copy and a rollback.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-debian.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
nusec=$root/build/app/nusec

work=$(mktemp -d /tmp/nusec-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" >"$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
softhsm2-util --init-token --free --label nusec-demo --so-pin 87654321 --pin 1234 >/dev/null
key="pkcs11:token=nusec-demo;object=boot-key?pin-value=1234"

step() { printf '\n== %s\n' "$*"; }

step "1. Boot-signing key generated inside the HSM token (it never leaves it)"
"$nusec" key generate "$key" | tee "$work/key.txt"
keyhash=$(sed -n 's/^key-hash: //p' "$work/key.txt")

step "2. A sample firmware (64 KiB) signed into an MCUboot image by the HSM key"
head -c 65536 /dev/urandom >"$work/firmware.bin"
"$nusec" image sign --key "$key" --version 1.2.0+7 --security-counter auto \
	--header-size 0x200 --pubkey-mode full "$work/firmware.bin" "$work/firmware.signed"
"$nusec" image dump "$work/firmware.signed"

step "3. The firmware-side verifier (PSA Crypto, as in the boot ROM) checks it against the OTP key hash"
"$nusec" image verify --key-hash "$keyhash" --min-security-counter 0x01020000 "$work/firmware.signed"

step "4. A copy with one body byte flipped is refused"
cp "$work/firmware.signed" "$work/tampered.signed"
printf '\xff' | dd of="$work/tampered.signed" bs=1 seek=4096 conv=notrunc status=none
if "$nusec" image verify --key-hash "$keyhash" "$work/tampered.signed"; then
	echo "demo: the tampered image was accepted" >&2
	exit 1
fi

step "5. An image older than the chip's anti-rollback counter is refused"
if "$nusec" image verify --key-hash "$keyhash" --min-security-counter 0x02000000 "$work/firmware.signed"; then
	echo "demo: the rolled-back image was accepted" >&2
	exit 1
fi

step "Done: image round trip between the HSM signer and the boot ROM's verifier works."
