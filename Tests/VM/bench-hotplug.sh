#!/bin/bash
# Hotplug benchmark, run inside the VM (by tests/29-hotplug-bench.sh, or by
# hand in a guest with udevd running):
#
#   bench-hotplug.sh [N...]        (default: 4 16 32)
#
# For each N, writes a group of N disks holding one volume spanned over all
# of them, installs ldmctl's udev rules, attaches the disks one by one
# (waiting for udev after each) and prints:
#   - the time from attaching the last member (its add/change event) to
#     /dev/ldm/<group>/<volume> existing;
#   - the metadata bytes the helper read, from /run/ldmctl/reads: for each
#     disk's first event, and over all events (loop devices send several
#     change events per attach, and each reads its own disk again).
# Each event reads only its own disk, so both totals are N times one disk's
# metadata. (One disk's metadata itself grows slowly with N: every disk's
# copy of the database lists all N disks and their partitions.)
# Output: one "bench N=.." line per N, machine-readable.
set -u
: "${VM_LIB:?run inside the VM (see Tests/VM/run)}"
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4 16 32)

work=$(mktemp -d /run/hp-bench.XXXXXX)
on_cleanup rm -rf "$work"
hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for n in "${sizes[@]}"; do
    dir="$work/$n"; mkdir -p "$dir"
    disks=$(for i in $(seq 1 $n); do printf '{"name": "B%d", "sizeBytes": 8388608}' $i; [ $i -lt $n ] && printf ', '; done)
    names=$(for i in $(seq 1 $n); do printf '"B%d"' $i; [ $i -lt $n ] && printf ', '; done)
    spans=$(for i in $(seq 1 $n); do printf '65536'; [ $i -lt $n ] && printf ', '; done)
    mkspec "$dir" '{"groups": [{"name": "Bench'$n'", "disks": ['"$disks"'], "volumes": [
        {"name": "Span", "kind": "spanned", "sizeBytes": '$((n * 65536))', "disks": ['"$names"'], "spanBytes": ['"$spans"']}]}]}' >/dev/null \
        || { fail "ldm-mkimage spec for N=$n"; continue; }
    mkdir -p "$HOTPLUG_STATE"; : >"$HOTPLUG_STATE/reads"
    devs=()
    for i in $(seq 1 $((n - 1))); do
        devs+=("$(attach "$dir/Bench$n-B$i.img")")
        hotplug_wait
    done
    [ -e /dev/ldm/Bench$n/Span ] && fail "N=$n: volume appeared before its last disk"
    t0=$(now_ms)
    devs+=("$(attach "$dir/Bench$n-B$n.img")")
    for i in $(seq 1 6000); do [ -e /dev/ldm/Bench$n/Span ] && break; sleep 0.01; done
    t1=$(now_ms)
    hotplug_wait
    [ -e /dev/ldm/Bench$n/Span ] || fail "N=$n: volume never appeared"
    # Only this N's disks (earlier loops stay attached and may send events).
    mine=$(for d in "${devs[@]}"; do devnum "$d"; done | sort -u)
    grep -F -f <(printf '%s \n' $mine) "$HOTPLUG_STATE/reads" >"$dir/reads"
    cp "$dir/reads" "$HOTPLUG_STATE/reads"
    events=$(wc -l <"$HOTPLUG_STATE/reads")
    first=$(awk '!seen[$1]++ {s += $3} END {print s + 0}' "$HOTPLUG_STATE/reads")
    total=$(awk '{s += $3} END {print s + 0}' "$HOTPLUG_STATE/reads")
    maxev=$(awk '$3 > m {m = $3} END {print m + 0}' "$HOTPLUG_STATE/reads")
    disks_read=$(awk '{print $1}' "$HOTPLUG_STATE/reads" | sort -u | wc -l)
    minev=$(awk 'NR == 1 || $3 < m {m = $3} END {print m + 0}' "$HOTPLUG_STATE/reads")
    echo "bench N=$n latency_ms=$((t1 - t0)) disks_read=$disks_read first_event_bytes=$first events=$events all_events_bytes=$total max_event_bytes=$maxev min_event_bytes=$minev"
    # Free the loop devices for the next N.
    dmsetup remove "ldm_vol_Bench${n}_Span" >/dev/null 2>&1
    udevadm settle
done
