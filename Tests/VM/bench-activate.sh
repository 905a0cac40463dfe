#!/bin/bash
# Activation benchmark on the ten real Windows images, in the VM:
#   ldmtool create all / remove all          (libldm, the reference)
#   dmsetup create --concise <same tables>   (one call: the floor)
#   ldmctl activate / deactivate             (once `ldmctl activate` exists)
#
#   Tests/VM/bench-activate.sh [ROUNDS]      (from the host; boots the VM)
#
# Times are wall-clock under QEMU without KVM, so compare them with each
# other, not with real hardware. Build ldmctl first (Tests/VM/run --release
# does; CONFIG=debug to use a debug build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

if [ "${1:-}" != "--inside" ]; then
    ROUNDS=${1:-5}
    OUT=$(mktemp -d /tmp/ldmctl-bench.XXXXXX)
    CONFIG=${CONFIG:-release}
    cat >"$OUT/env.sh" <<ENV
export ROUNDS=$ROUNDS
export LDMCTL='$REPO/.build-vm/$CONFIG/ldmctl'
export LDM_IMAGES_TAR='$(cd "$REPO/.." && pwd)/shared/ldm-images/windows-2003r2.tar.xz'
ENV
    KERNEL=${VM_KERNEL:-$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -n 1)}
    timeout 1080 vng --run "$KERNEL" --disable-kvm --force-9p -m 2G --cpus 2 --rwdir="$OUT" \
        --exec "bash $HERE/bench-activate.sh --inside $OUT" </dev/null >"$OUT/vng.log" 2>&1 || true
    cat "$OUT/bench.txt" 2>/dev/null || { echo "benchmark did not run; see $OUT"; tail -20 "$OUT/vng.log"; exit 1; }
    exit 0
fi

# --- inside the guest ---
OUT=$2
. "$OUT/env.sh"
exec >"$OUT/bench.txt" 2>&1
modprobe -a dm-mod dm-raid dm-mirror raid456 loop
. "$(dirname "$0")/udevd.sh"
start_udevd
images=/run/ldm-images
mkdir -p $images && tar -xSJf "$LDM_IMAGES_TAR" -C $images
loops=$(for f in $images/*.img; do losetup -f --show -P -r "$f"; done)
udevadm settle

now() { date +%s.%N; }
# time_it LABEL COMMAND...: runs it ROUNDS times (with the matching undo
# in between by the caller), prints min/median/max in ms.
declare -A samples
record() { samples[$1]+="$2 "; }
ms() { echo "($2 - $1) * 1000" | bc | cut -d. -f1; }
summary() {
    local label=$1 sorted n
    sorted=$(tr ' ' '\n' <<<"${samples[$label]}" | grep . | sort -n)
    n=$(wc -l <<<"$sorted")
    printf '%-34s min %6s  median %6s  max %6s ms  (n=%s)\n' "$label" \
        "$(head -1 <<<"$sorted")" "$(sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$n"
}

echo "kernel $(uname -r); ldmtool $(dpkg-query -W -f '${Version}' ldmtool 2>/dev/null); dmsetup $(dmsetup --version | head -1 | awk '{print $3}')"

# The reference tables, in the concise form dmsetup reads back (with the
# minor numbers, so the stacked tables' major:minor references still hold).
ldmtool create all >/dev/null
concise=$(dmsetup table --concise)
devices=$(dmsetup ls | wc -l)
ldmtool remove all >/dev/null
echo "$devices devices; concise tables:"; tr ';' '\n' <<<"$concise" | sed 's/^/  /'

for r in $(seq "$ROUNDS"); do
    t0=$(now); ldmtool create all >/dev/null; t1=$(now)
    record "ldmtool create all" "$(ms "$t0" "$t1")"
    t0=$(now); ldmtool remove all >/dev/null; t1=$(now)
    record "ldmtool remove all" "$(ms "$t0" "$t1")"

    t0=$(now); dmsetup create --concise "$concise"; t1=$(now)
    record "dmsetup create --concise" "$(ms "$t0" "$t1")"
    # Remove volumes before the partitions they sit on.
    t0=$(now)
    dmsetup remove $(dmsetup ls | awk '/^ldm_vol_/ {print $1}')
    dmsetup remove $(dmsetup ls | awk '/^ldm_part_/ {print $1}')
    t1=$(now)
    record "dmsetup remove (2 calls)" "$(ms "$t0" "$t1")"

    if [ -x "$LDMCTL" ] && "$LDMCTL" activate --help >/dev/null 2>&1; then
        t0=$(now); "$LDMCTL" activate --all $loops >/dev/null 2>&1; t1=$(now)
        record "ldmctl activate --all" "$(ms "$t0" "$t1")"
        t0=$(now); "$LDMCTL" deactivate --all >/dev/null 2>&1; t1=$(now)
        record "ldmctl deactivate --all" "$(ms "$t0" "$t1")"
        # Where our time goes (diagnostics, not targets): start-up, reading
        # the ten disks and planning, with no device-mapper call ...
        udevadm settle
        t0=$(now); "$LDMCTL" activate --all --dry-run $loops >/dev/null 2>&1; t1=$(now)
        record "  of which: start, scan, plan" "$(ms "$t0" "$t1")"
        # ... and the same activation with libdevmapper's udev sync off
        # (DM_DISABLE_UDEV: it makes the nodes itself, nobody waits for
        # udev): what the ioctls cost.
        udevadm settle
        t0=$(now); DM_DISABLE_UDEV=1 "$LDMCTL" activate --all $loops >/dev/null 2>&1; t1=$(now)
        record "  of which: without udev wait" "$(ms "$t0" "$t1")"
        udevadm settle
        "$LDMCTL" deactivate --all >/dev/null 2>&1
        udevadm settle
    fi
    [ -z "$(dmsetup ls | grep -v 'No devices')" ] || { echo "round $r left devices:"; dmsetup ls; }
done

echo
for label in "ldmtool create all" "dmsetup create --concise" "ldmctl activate --all" \
             "  of which: start, scan, plan" "  of which: without udev wait" \
             "ldmtool remove all" "dmsetup remove (2 calls)" "ldmctl deactivate --all"; do
    [ -n "${samples[$label]:-}" ] && summary "$label"
done
[ -n "${samples["ldmctl activate --all"]:-}" ] || echo "(ldmctl activate not available yet: $LDMCTL)"

# Ratios of the medians (target: ldmctl activate --all at most 0.6x the
# one-call dmsetup floor).
median() {
    local sorted n
    sorted=$(tr ' ' '\n' <<<"${samples[$1]:-}" | grep . | sort -n)
    n=$(grep -c . <<<"$sorted")
    [ "$n" -gt 0 ] && sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted"
}
ratio() { # A B: median(A) / median(B)
    local a b
    a=$(median "$1"); b=$(median "$2")
    [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt 0 ] && printf '%-58s %s\n' "$1 / $2" "$(echo "scale=2; $a / $b" | bc)x"
}
echo
ratio "ldmctl activate --all" "dmsetup create --concise"
ratio "ldmctl activate --all" "ldmtool create all"
ratio "ldmtool create all" "dmsetup create --concise"
ratio "ldmctl deactivate --all" "dmsetup remove (2 calls)"
