# Hotplug: disks going away. A volume that cannot work without the disk is
# removed, unless it is open: then it stays and the log says why. A mirror
# that keeps a whole plex keeps running (degraded). A loop device detached
# (udev sees "change" with no media) loses its record.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

work=$(mktemp -d /run/hp-removal.XXXXXX)
on_cleanup rm -rf "$work"
mkspec "$work" '{"groups": [{"name": "Rem", "disks": [
   {"name": "R1", "sizeBytes": 16777216}, {"name": "R2", "sizeBytes": 16777216}, {"name": "R3", "sizeBytes": 16777216},
   {"name": "R4", "sizeBytes": 16777216}, {"name": "R5", "sizeBytes": 16777216}],
  "volumes": [
   {"name": "Simple", "kind": "simple", "sizeBytes": 1048576, "disks": ["R1"]},
   {"name": "Spanned", "kind": "spanned", "sizeBytes": 2097152, "disks": ["R1", "R2"], "spanBytes": [1048576, 1048576]},
   {"name": "Mirror", "kind": "mirrored", "sizeBytes": 1048576, "disks": ["R2", "R3"]},
   {"name": "Striped", "kind": "striped", "sizeBytes": 2097152, "disks": ["R2", "R3"]},
   {"name": "Lonely", "kind": "spanned", "sizeBytes": 2097152, "disks": ["R4", "R5"], "spanBytes": [1048576, 1048576]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec"; exit 1; }
hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'

r1=$(attach "$work/Rem-R1.img"); r2=$(attach "$work/Rem-R2.img"); r3=$(attach "$work/Rem-R3.img")
r4=$(attach "$work/Rem-R4.img")
hotplug_wait
V=ldm_vol_Rem_
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple ${V}Spanned ${V}Striped" "four volumes active, Lonely waits for R5"
assert_exists "$HOTPLUG_STATE/disks/$(devnum $r4)" "R4 is recorded"

# R2 goes while Spanned is open. (A loop device in use cannot be detached,
# so the kernel's remove event for the disk is sent by hand.)
exec 3</dev/ldm/Rem/Spanned
udevadm trigger --action=remove --settle "/sys/block/$(basename $r2)"
hotplug_wait
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple ${V}Spanned" "Striped removed; open Spanned, degraded Mirror and Simple stay"
assert_not_exists /dev/ldm/Rem/Striped "/dev/ldm/Rem/Striped gone"
assert_not_exists "$HOTPLUG_STATE/disks/$(devnum $r2)" "R2's record removed"
assert_eq "$(count_log 'removed Rem/Striped .*it lost disk')" 1 "log: Striped removed because it lost a disk"
assert_eq "$(count_log 'left Rem/Spanned .*active although it lost disk .*open')" 1 "log: Spanned left active because it is open"
assert_eq "$(count_log 'Rem/Mirror .*keeps running without disk')" 1 "log: Mirror keeps running degraded"
exec 3<&-

# R4 detached: "change" with no media; the record goes, nothing else happens.
losetup -d $r4
hotplug_wait
assert_not_exists "$HOTPLUG_STATE/disks/$(devnum $r4)" "detached R4's record removed"
assert_eq "$(count_log "remove $(devnum $r4) .* is gone")" 1 "log: R4 is gone"
# Spanned was closed meanwhile: the group's next event removes it.
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple" "closed Spanned removed at the group's next event"
assert_eq "$(count_log 'removed Rem/Spanned .*needs disks that are missing')" 1 "log: Spanned removed once closed"

# R1 goes: Simple goes with it.
udevadm trigger --action=remove --settle "/sys/block/$(basename $r1)"
hotplug_wait
assert_eq "$(active_volumes)" "${V}Mirror" "Simple removed with R1"
assert_eq "$(count_log 'removed Rem/Simple .*it lost disk')" 1 "log: Simple removed because it lost R1"
assert_eq "$(count_log 'Rem/Mirror .*keeps running without disk')" 1 "log: only R2's loss concerned the Mirror"
assert_not_exists /dev/ldm/Rem/Simple "/dev/ldm/Rem/Simple gone"
assert_eq "$(count_log 'could not|cannot|unusable')" 0 "no errors in the helper's log"
hotplug_show_log 30
"$LDMCTL" deactivate --all >/dev/null 2>&1
