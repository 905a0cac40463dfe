# Hotplug: disks going away. A volume that cannot work without the disk is
# removed; if it is open, its I/O fails at once (error table) and it is
# removed when its last user closes it (deferred removal). A mirror
# that keeps a whole plex keeps running (degraded). A loop device detached
# (udev sees "change" with no media) loses its record.
# `ldmctl monitor --json` watches throughout: each loss is reported once,
# in order, naming the disk, the volume and the member.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"
. "$(dirname "$VM_LIB")/monitor-lib.sh"

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

mon=$work/events
monitor_start "$mon"
monitor_wait "$mon" 9
assert_eq "$(monitor_events "$mon" | sort | tr '\n' '|')" \
"disk-added disk=R1 device=$r1|disk-added disk=R2 device=$r2|disk-added disk=R3 device=$r3|disk-added disk=R4 device=$r4|\
group-incomplete|volume-activated volume=Mirror|volume-activated volume=Simple|volume-activated volume=Spanned|volume-activated volume=Striped|" \
    "monitor: the initial report is the current state"
seen=$(wc -l <"$mon")
# monitor_step EXPECTED DESCRIPTION [TRANSIENT]: the events since the
# last step (see monitor_check).
monitor_step() {
    monitor_wait "$mon" $((seen + $(printf '%s\n' "$1" | wc -l)))
    local verdict
    verdict=$(monitor_check "$mon" $seen "$1" "${3:-}")
    assert_eq "$(printf '%s\n' "$verdict" | head -n 1)" ok "monitor: $2"
    printf '%s\n' "$verdict" | tail -n +2
    seen=$(wc -l <"$mon")
}

# R2 goes while Spanned is open. (A loop device in use cannot be detached,
# so the kernel's remove event for the disk is sent by hand.)
assert_eq "$(dmsetup ls | grep -c "^ldm_part_Rem_R2")" 1 "the Mirror's member on R2 is a helper device"
exec 3</dev/ldm/Rem/Spanned
udevadm trigger --action=remove --settle "/sys/block/$(basename $r2)"
hotplug_wait
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple ${V}Spanned" "Striped removed; open Spanned, degraded Mirror and Simple stay"
assert_not_exists /dev/ldm/Rem/Striped "/dev/ldm/Rem/Striped gone"
assert_not_exists "$HOTPLUG_STATE/disks/$(devnum $r2)" "R2's record removed"
assert_eq "$(count_log 'removed Rem/Striped .*it lost disk')" 1 "log: Striped removed because it lost a disk"
assert_eq "$(count_log 'Rem/Spanned .* is open .*although it lost disk .*its I/O now fails at once.*deferred removal')" 1 \
    "log: open Spanned fails its I/O and goes when closed"
assert_eq "$(count_log 'Rem/Mirror .*keeps running without disk R2 ')" 1 "log: Mirror keeps running degraded, naming R2"
# Before any I/O has touched the Mirror: the kernel already runs it without
# R2's member, and `status` says it is degraded and names the lost disk.
assert_contains "$(dmsetup table ldm_vol_Rem_Mirror)" " - -" "Mirror's table has R2's slot empty"
assert_eq "$(dmsetup ls | grep -c "^ldm_part_Rem_R2")" 0 "no helper device on R2 is left"
status=$("$LDMCTL" status)
printf '%s\n' "$status" | sed 's/^/       | /'
assert_contains "$(printf '%s\n' "$status" | grep "^ldm_vol_Rem_Mirror ")" "degraded" "status: Mirror is degraded at once"
assert_contains "$status" "lost member: disk R2 " "status names the lost member R2"
assert_contains "$("$LDMCTL" status --json | tr -d ' \n')" '"lostDisks":[{"name":"R2"' "status --json names the lost member R2"
assert_contains "$(dmsetup info ldm_vol_Rem_Spanned)" "DEFERRED REMOVE" "open Spanned is marked for deferred removal"
assert_eq "$(dmsetup table ldm_vol_Rem_Spanned | awk '{print $3}')" "error" "open Spanned's table is an error target"
monitor_step "disk-removed disk=R2 device=$r2
volume-deactivated volume=Striped
volume-failed volume=Spanned
volume-degraded volume=Mirror member=R2" "R2 gone: disk-removed; closed Striped deactivated, open Spanned failed, Mirror degraded naming R2" \
    "volume-failed volume=Striped"
t0=$(date +%s)
rc=0; timeout 20 dd if=/dev/mapper/ldm_vol_Rem_Spanned of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null || rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $(( $(date +%s) - t0 )) -le 5 ]; then pass "read from open Spanned fails at once (exit $rc)"
else fail "read from open Spanned: exit $rc after $(( $(date +%s) - t0 )) s"; fi
exec 3<&-
for i in $(seq 1 50); do dmsetup info ldm_vol_Rem_Spanned >/dev/null 2>&1 || break; sleep 0.1; done
udevadm settle
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple" "Spanned removed when its last user closed it"
assert_not_exists /dev/ldm/Rem/Spanned "/dev/ldm/Rem/Spanned gone"
monitor_step "volume-deactivated volume=Spanned" "Spanned closed: deactivated"

# R4 detached: "change" with no media; the record goes, nothing else happens.
losetup -d $r4
hotplug_wait
assert_not_exists "$HOTPLUG_STATE/disks/$(devnum $r4)" "detached R4's record removed"
assert_eq "$(count_log "remove $(devnum $r4) .* is gone")" 1 "log: R4 is gone"
assert_eq "$(active_volumes)" "${V}Mirror ${V}Simple" "nothing else changed"
monitor_step "disk-removed disk=R4 device=$r4" "R4 detached: disk-removed only"

# R1 goes: Simple goes with it.
udevadm trigger --action=remove --settle "/sys/block/$(basename $r1)"
hotplug_wait
assert_eq "$(active_volumes)" "${V}Mirror" "Simple removed with R1"
assert_eq "$(count_log 'removed Rem/Simple .*it lost disk')" 1 "log: Simple removed because it lost R1"
assert_eq "$(count_log 'Rem/Mirror .*keeps running without disk')" 1 "log: only R2's loss concerned the Mirror"
assert_not_exists /dev/ldm/Rem/Simple "/dev/ldm/Rem/Simple gone"
monitor_step "disk-removed disk=R1 device=$r1
volume-deactivated volume=Simple" "R1 gone: disk-removed, Simple deactivated" \
    "volume-failed volume=Simple"
# R2 comes back (its loop device was never detached): the running Mirror
# does not take it back; the log says what the user can do. Striped, whose
# disks are all present again, is activated again.
table=$(dmsetup table ldm_vol_Rem_Mirror)
udevadm trigger --action=add --settle "/sys/block/$(basename $r2)"
hotplug_wait
assert_eq "$(dmsetup table ldm_vol_Rem_Mirror)" "$table" "returning R2 is not added to the running Mirror"
assert_eq "$(count_log 'Rem/Mirror runs degraded and now has all its disks; the late disk is NOT used')" 1 "log: Mirror does not use the returning disk, and what to do"
assert_eq "$(active_volumes)" "${V}Mirror ${V}Striped" "Striped active again with R2 and R3"
# The Mirror dropped R2's leg when R2 went, and a returning member is
# never added back behind the user's back: it stays degraded, so there is
# no volume-recovered.
monitor_step "disk-added disk=R2 device=$r2
volume-activated volume=Striped" "R2 back: disk-added and Striped activated; the Mirror stays degraded (no volume-recovered)"
assert_eq "$(count_log 'could not|cannot|unusable')" 0 "no errors in the helper's log"
echo "       | --- transcript (ldmctl monitor --json)"
sed 's/^/       | /' "$mon"
sed 's/^/       | stderr: /' "$mon.err"
hotplug_show_log 30
"$LDMCTL" deactivate --all >/dev/null 2>&1
