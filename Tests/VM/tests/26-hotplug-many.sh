# Hotplug: 16 LDM disks attached all at once. udev runs the helper for many
# of them in parallel; the records and the lock must make each volume
# activate exactly once, with every disk recorded and no errors.
# `ldmctl monitor --json`, started in the middle of the storm: its initial
# report plus its events give one disk-added per disk and one
# volume-activated per volume, and end with the final state.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"
. "$(dirname "$VM_LIB")/monitor-lib.sh"

work=$(mktemp -d /run/hp-many.XXXXXX)
on_cleanup rm -rf "$work"
disks=$(for i in $(seq 1 16); do printf '{"name": "M%d", "sizeBytes": 16777216}' $i; [ $i -lt 16 ] && printf ', '; done)
mkspec "$work" '{"groups": [{"name": "Many", "disks": ['"$disks"'], "volumes": [
   {"name": "S1", "kind": "simple", "sizeBytes": 1048576, "disks": ["M1"]},
   {"name": "Span4", "kind": "spanned", "sizeBytes": 2097152, "disks": ["M1", "M2", "M3", "M4"], "spanBytes": [524288, 524288, 524288, 524288]},
   {"name": "Stripe4", "kind": "striped", "sizeBytes": 2097152, "disks": ["M5", "M6", "M7", "M8"]},
   {"name": "R5", "kind": "raid5", "sizeBytes": 3145728, "disks": ["M9", "M10", "M11", "M12"]},
   {"name": "Mir1", "kind": "mirrored", "sizeBytes": 1048576, "disks": ["M13", "M14"]},
   {"name": "Mir2", "kind": "mirrored", "sizeBytes": 1048576, "disks": ["M15", "M16"]},
   {"name": "S16", "kind": "simple", "sizeBytes": 1048576, "disks": ["M16"]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec"; exit 1; }

# Only this test's kernel messages count: earlier tests provoke dm errors on purpose.
dmesg_start=$(dmesg | wc -l)
new_dmesg() { dmesg | tail -n +$((dmesg_start + 1)); }

hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'

# All at once, in a shuffled order; the monitor starts after 8.
loops=()
n=0
for i in $(seq 1 16 | shuf); do
    loops+=("$(attach "$work/Many-M$i.img")")
    n=$((n + 1))
    if [ $n -eq 8 ]; then monitor_start "$work/during"; fi
done
assert_eq "${#loops[@]}" 16 "16 disks attached"
hotplug_wait

V=ldm_vol_Many_
assert_eq "$(active_volumes)" "${V}Mir1 ${V}Mir2 ${V}R5 ${V}S1 ${V}S16 ${V}Span4 ${V}Stripe4" "every volume is active"
assert_eq "$(ls $HOTPLUG_STATE/disks | wc -l)" 16 "16 disk records"
for l in "${loops[@]}"; do
    grep -q "^$(devnum "$l") " $HOTPLUG_STATE/reads || fail "$(basename "$l"): no metadata read recorded"
done
for v in S1 Span4 Stripe4 R5 Mir1 Mir2 S16; do
    assert_eq "$(count_log "activated Many/$v as ")" 1 "Many/$v activated exactly once"
    assert_exists /dev/ldm/Many/$v "/dev/ldm/Many/$v"
done
assert_eq "$(count_log 'could not|cannot|unusable|error|failed')" 0 "no errors in the helper's log"
assert_eq "$(count_log 'DEGRADED')" 0 "nothing started degraded"
# Reads: one disk per event, never a rescan. Each line is one event's reads,
# all of the same size for these identical disks.
assert_eq "$(awk '{print $3}' $HOTPLUG_STATE/reads | sort -u | wc -l)" 1 "every event read the same small amount (its own disk)"
echo "       | events: $(wc -l <$HOTPLUG_STATE/reads), bytes per event: $(awk '{print $3}' $HOTPLUG_STATE/reads | sort -u)"
new_dmesg | grep -iE 'ldmctl|device-mapper' | grep -iE 'error|fail' | sed 's/^/       | /'
assert_eq "$(new_dmesg | grep -iE 'device-mapper' | grep -ciE 'error|fail')" 0 "no device-mapper errors in the kernel log"

# The monitors: replays their events (a disk or volume added twice, or
# removed when absent, is an error) into the set of present disks and
# active volumes and the group's last completeness.
replay() {
    monitor_events "$1" | python3 -c '
import sys
disks, vols, complete, errors, counts = set(), set(), None, [], {}
for line in sys.stdin:
    f = line.split()
    kind, args = f[0], dict(a.split("=", 1) for a in f[1:])
    counts[kind] = counts.get(kind, 0) + 1
    if kind in ("disk-added", "disk-removed"):
        s, key, add = disks, args["disk"], kind == "disk-added"
    elif kind in ("volume-activated", "volume-deactivated"):
        s, key, add = vols, args["volume"], kind == "volume-activated"
    elif kind in ("group-complete", "group-incomplete"):
        complete = kind == "group-complete"; continue
    else:
        errors.append(line.strip()); continue
    if (key in s) == add: errors.append("twice: " + line.strip())
    (s.add if add else s.discard)(key)
print("disks=%d volumes=%s complete=%s errors=%s" % (len(disks), ",".join(sorted(vols)), complete, errors))
print("counts " + " ".join("%s=%d" % kv for kv in sorted(counts.items())))'
}
truth="disks=16 volumes=Mir1,Mir2,R5,S1,S16,Span4,Stripe4 complete=True errors=[]"
end=$((SECONDS + 30))
until [ "$(replay "$work/during" | head -1)" = "$truth" ] || [ $SECONDS -ge $end ]; do sleep 0.5; done
sleep 1.5
during=$(replay "$work/during")
assert_eq "$(printf '%s\n' "$during" | head -1)" "$truth" \
    "monitor started mid-storm: every disk and volume once, group complete (its report and events add up to the final state)"
assert_contains "$during" "disk-added=16 " "monitor started mid-storm: 16 disk-added in all"
assert_contains "$during" "volume-activated=7" "monitor started mid-storm: 7 volume-activated in all"
assert_eq "$("$LDMCTL" monitor --oneshot --json | wc -l)" 24 "the final state: 16 disks, group complete, 7 volumes"
printf '%s\n' "$during" | sed 's/^/       | /'
echo "       | --- monitor started mid-storm (ldmctl monitor --json)"
sed 's/^/       | /' "$work/during"
sed 's/^/       | stderr: /' "$work/during.err"
hotplug_show_log 40
"$LDMCTL" deactivate --all >/dev/null 2>&1
