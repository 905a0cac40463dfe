# Hotplug: 16 LDM disks attached all at once. udev runs the helper for many
# of them in parallel; the records and the lock must make each volume
# activate exactly once, with every disk recorded and no errors.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

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

# All at once, in a shuffled order.
loops=()
for i in $(seq 1 16 | shuf); do loops+=("$(attach "$work/Many-M$i.img")"); done
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
hotplug_show_log 40
"$LDMCTL" deactivate --all >/dev/null 2>&1
