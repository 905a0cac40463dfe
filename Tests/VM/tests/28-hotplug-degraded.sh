# Hotplug: the degraded timeout. A RAID-5 missing one disk starts degraded
# only after the configured wait (4 s here), a mirror with both disks at
# once; when the missing disk then appears, it is not added: the log says
# what the user can do, and the running table is unchanged.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

work=$(mktemp -d /run/hp-degraded.XXXXXX)
on_cleanup rm -rf "$work"
mkspec "$work" '{"groups": [{"name": "Deg", "disks": [
   {"name": "G1", "sizeBytes": 16777216}, {"name": "G2", "sizeBytes": 16777216}, {"name": "G3", "sizeBytes": 16777216}],
  "volumes": [
   {"name": "Mirror", "kind": "mirrored", "sizeBytes": 1048576, "disks": ["G1", "G2"]},
   {"name": "Raid5", "kind": "raid5", "sizeBytes": 2097152, "disks": ["G1", "G2", "G3"]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec"; exit 1; }
hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="4"'

attach "$work/Deg-G1.img" >/dev/null
attach "$work/Deg-G2.img" >/dev/null
hotplug_wait
# Activation runs outside the udev worker: allow it its time.
for i in $(seq 1 60); do [ -e /dev/ldm/Deg/Mirror ] && break; sleep 0.5; done
assert_exists /dev/ldm/Deg/Mirror "Mirror (both disks present) is active"
for i in $(seq 1 120); do [ -e /dev/ldm/Deg/Raid5 ] && break; sleep 0.5; done
hotplug_wait
assert_exists /dev/ldm/Deg/Raid5 "Raid5 started degraded after the timeout"
armed=$(grep -m1 'starting it degraded in 4 s' $HOTPLUG_STATE/log | cut -d' ' -f1)
fired=$(grep -m1 'Deg/Raid5: missing disks did not appear within 4 s' $HOTPLUG_STATE/log | cut -d' ' -f1)
if [ -n "$armed" ] && [ -n "$fired" ] && awk -v a="$armed" -v f="$fired" 'BEGIN { exit !(f - a >= 4) }'; then
    pass "degraded start came no earlier than 4 s after the timer was armed ($armed -> $fired)"
else
    fail "timer armed at '$armed', fired at '$fired'"
fi
assert_eq "$(count_log 'activated Deg/Raid5 .*DEGRADED')" 1 "log: Raid5 activated DEGRADED, once"
assert_eq "$(count_log 'activated Deg/Mirror as')" 1 "Mirror activated once, not degraded"
assert_contains "$(udevadm info -q property /dev/ldm/Deg/Raid5)" "LDM_DEGRADED=1" "udev property LDM_DEGRADED=1"
table=$(dmsetup table ldm_vol_Deg_Raid5)
assert_contains "$table" "- -" "the RAID-5 table has a missing member"

# The missing disk arrives: not re-added, and the user is told what to do.
attach "$work/Deg-G3.img" >/dev/null
hotplug_wait
assert_eq "$(dmsetup table ldm_vol_Deg_Raid5)" "$table" "the running RAID-5 table is unchanged"
assert_eq "$(count_log 'Deg/Raid5 runs degraded and now has all its disks; the late disk is NOT used')" 1 "log: the late disk is not used, and what to do"
assert_eq "$(count_log 'could not|cannot|unusable')" 0 "no errors in the helper's log"
hotplug_show_log 30
"$LDMCTL" deactivate --all >/dev/null 2>&1
