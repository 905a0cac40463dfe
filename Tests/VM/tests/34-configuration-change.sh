# A member's database changing under a running system, as create-volume,
# delete-volume or restore-metadata change it: writing a disk and closing
# it makes udev send a `change` event (its inotify watch). With ldmctl's
# udev rules and `ldmctl monitor` running: the monitor reports the volume
# deleted and the volume created (by GUID), the hotplug helper reads the
# disks again, activates the new volume and drops the deleted one's
# record. The changed databases are written with dd (independent of the
# write engine); backup-metadata and restore-metadata then put the first
# configuration back on the loop devices, byte for byte.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"
. "$(dirname "$VM_LIB")/monitor-lib.sh"

work=$(mktemp -d /run/cfgchange.XXXXXX)
on_cleanup rm -rf "$work"
mkdir "$work/a" "$work/b"
# The same group and disks in both; "Keep" the same volume (same GUID and
# place), "Old" only in a, "New" only in b, whose configuration is later.
spec() {  # spec SEQUENCE THIRD-VOLUME-JSON
    printf '{"groups": [{"name": "Cfg", "guid": "0c0c0c0c-1111-4222-8333-444455556666", "sequence": %s, "spareSlots": 64, "disks": [
       {"name": "C1", "sizeBytes": 8388608}, {"name": "C2", "sizeBytes": 8388608}],
      "volumes": [
       {"name": "Keep", "kind": "spanned", "sizeBytes": 2097152, "disks": ["C1", "C2"], "spanBytes": [1048576, 1048576],
        "objectID": 10, "guid": "0c0c0c0c-aaaa-4bbb-8ccc-000000000001"},
       %s]}]}' "$1" "$2"
}
mkspec "$work/a" "$(spec 1024 '{"name": "Old", "kind": "simple", "sizeBytes": 1048576, "disks": ["C1"], "objectID": 20, "guid": "0c0c0c0c-aaaa-4bbb-8ccc-000000000002"}')" >/dev/null \
    || { fail "ldm-mkimage spec a"; exit 1; }
mkspec "$work/b" "$(spec 1030 '{"name": "New", "kind": "simple", "sizeBytes": 1048576, "disks": ["C2"], "objectID": 30, "guid": "0c0c0c0c-aaaa-4bbb-8ccc-000000000003"}')" >/dev/null \
    || { fail "ldm-mkimage spec b"; exit 1; }
mkdir "$work/disks"
cp --sparse=always "$work"/a/Cfg-C*.img "$work/disks/"

hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'
monitor_start "$work/events"
c1=$(attach "$work/disks/Cfg-C1.img" -w)
c2=$(attach "$work/disks/Cfg-C2.img" -w)
hotplug_wait
monitor_wait "$work/events" 6
assert_eq "$(active_volumes)" "ldm_vol_Cfg_Keep ldm_vol_Cfg_Old" "hotplug activated both volumes of the first configuration"
# The user takes the group down, as create-volume and delete-volume
# require. (With Keep active through the kernel's LDM partition of each
# disk, a new volume could not be mapped: the kernel keeps the partitions
# of a disk in use as they were, and the whole disk cannot be claimed
# while one of them is.)
assert_ok "deactivate the group" -- "$LDMCTL" deactivate --group Cfg
hotplug_wait
monitor_wait "$work/events" 7
seen=$(wc -l <"$work/events")
monitor_events "$work/events" | sed 's/^/       | /'
assert_eq "$(monitor_events "$work/events" | grep -c '^volume-deactivated')" 2 "the monitor saw both volumes go down"
assert_ok "backup-metadata" -- "$LDMCTL" backup-metadata --group Cfg --backup "$work/backup" "$c1" "$c2"

# The second configuration's database area (sector 6 and the last MiB),
# written onto each disk; dd closes it, udev sends `change`. dd is not
# transactional: between the disks the group reads as neither
# configuration (the disks disagree), and the monitor must hold it, not
# report its disks removed.
for d in C1 C2; do
    dev=$([ $d = C1 ] && echo "$c1" || echo "$c2")
    dd if="$work/b/Cfg-$d.img" of="$dev" bs=512 skip=6 seek=6 count=1 conv=notrunc status=none
    dd if="$work/b/Cfg-$d.img" of="$dev" bs=1M skip=7 seek=7 count=1 conv=notrunc status=none
done
hotplug_wait
monitor_wait "$work/events" $((seen + 3))
events=$(monitor_events "$work/events" "$seen")
printf '%s\n' "$events" | sed 's/^/       | /'
assert_eq "$(sort <<<"$events" | tr '\n' '|')" \
    "volume-activated volume=New|volume-created volume=New|volume-deleted volume=Old|" \
    "monitor: Old deleted, New created (and activated by hotplug), nothing else"
assert_eq "$(active_volumes)" "ldm_vol_Cfg_New" "hotplug read the change events: New active, Keep left down as the user left it"
assert_not_exists "$HOTPLUG_STATE/volumes/LDM-0c0c0c0c-1111-4222-8333-444455556666-0c0c0c0c-aaaa-4bbb-8ccc-000000000002" \
    "the deleted volume's hotplug record is dropped"
assert_contains "$(cat "$HOTPLUG_STATE/log")" "no longer in the configuration" "the helper's log says why"
assert_contains "$("$LDMCTL" show "$c1" "$c2")" "Volume New" "ldmctl reads the second configuration"

# --- restore-metadata onto the loop devices --------------------------------
assert_fails "restore-metadata refuses while a volume of the group is active (New)" -- \
    "$LDMCTL" restore-metadata --yes "$work/backup" "$c1" "$c2"
assert_eq "$(cmp -s "$work/disks/Cfg-C1.img" "$work/a/Cfg-C1.img" && echo same)" "" "(the refusal wrote nothing: still the second configuration)"
# create-volume and delete-volume refuse an active group the same way
# (the check reads sysfs: device-mapper names and the partitions' holders),
# naming what is in use, and write nothing, not even a backup.
sums=$(sha256sum "$c1" "$c2")
out=$("$LDMCTL" create-volume --group Cfg --type simple --size 1M --yes --backup "$work/refused1" "$c1" "$c2" 2>&1); rc=$?
assert_eq "$rc" 1 "create-volume --yes refuses while New is active"
assert_contains "$out" "ldm_vol_Cfg_New" "its message names the active volume"
out=$("$LDMCTL" delete-volume --group Cfg Keep --yes --backup "$work/refused2" "$c1" "$c2" 2>&1); rc=$?
assert_eq "$rc" 1 "delete-volume --yes refuses while New is active"
assert_contains "$out" "deactivate its volumes first" "its message says what to do"
assert_eq "$(sha256sum "$c1" "$c2")" "$sums" "both refusals left every byte of both disks as it was"
assert_not_exists "$work/refused1" "no backup taken by a refused create-volume"
assert_ok "deactivate the group" -- "$LDMCTL" deactivate --group Cfg
hotplug_wait
seen=$(wc -l <"$work/events")
out=$("$LDMCTL" restore-metadata "$work/backup" "$c1" "$c2" 2>&1); rc=$?
assert_eq "$rc" 1 "restore-metadata without --yes: exit 1"
assert_contains "$out" "write sectors 14336..16383" "it prints the ranges it would write"
# The kernel's LDM partitions hold the disks (udev re-read them): restore
# opens the disks exclusively, which works while no one holds them.
assert_ok "restore-metadata --yes" -- "$LDMCTL" restore-metadata --yes "$work/backup" "$c1" "$c2"
for d in C1 C2; do
    assert_eq "$(cmp "$work/disks/Cfg-$d.img" "$work/a/Cfg-$d.img" 2>&1 && echo same)" same "$d: every byte as in the first configuration"
done
udevadm settle   # the re-read removes and adds the partitions: wait for it
n=$(basename "$c1")
assert_eq "$(for p in /sys/block/$n/${n}p*; do echo "$(cat $p/start)+$(cat $p/size)"; done | sort -n | tr '\n' ' ')" "63+2048 2111+2048 " \
    "C1: the kernel's LDM partitions are the first configuration's again (Keep, Old)"
hotplug_wait
monitor_wait "$work/events" $((seen + 3))
events=$(monitor_events "$work/events" "$seen")
printf '%s\n' "$events" | sed 's/^/       | /'
assert_eq "$(grep 'volume-created\|volume-deleted' <<<"$events" | sort | tr '\n' '|')" \
    "volume-created volume=Old|volume-deleted volume=New|" "monitor: the restore is seen as New deleted, Old created"
assert_eq "$(grep -c 'disk-removed\|group-incomplete' <<<"$events")" 0 "monitor: no disk reported removed on the way"
"$LDMCTL" deactivate --group Cfg >/dev/null 2>&1
hotplug_wait
