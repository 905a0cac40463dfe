# A file system is advertised by its volume only. With udevd running and
# the rules installed, the helper activates the volumes of the real disks
# and of written disks (mirror, RAID-5, simple, spanned, striped, each
# given an ext4 here); after a change event on every block device (what a
# reboot's coldplug or `udevadm trigger` does), no other block device
# (mirror leg, RAID-5 member, kernel partition) carries the volume's
# ID_FS_UUID in udev's database, and /dev/disk/by-uuid/UUID is the volume.
# Also a GPT dynamic disk with Windows' retained basic entry over its boot
# volume: the kernel makes a partition of that entry, which holds the same
# file system and must be hidden too.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

# wait_volumes COUNT: until COUNT LDM volumes are active (the helper
# starts them outside udev; under emulation that can take minutes).
wait_volumes() {
    local i
    for i in $(seq 1 600); do
        [ "$(dmsetup ls 2>/dev/null | grep -c '^ldm_vol_')" -ge "$1" ] && break
        sleep 0.5
    done
    hotplug_wait
}

# visible_only EXPECTED-COUNT LABEL: checks every LDM volume in dm, after a
# change event on every partition of the disks and every dm device.
visible_only() {
    local n uuid holders db seen=0 d
    for d in /sys/class/block/loop*p* /sys/class/block/dm-*; do
        [ -e "$d" ] && udevadm trigger --action=change "$d"
    done
    hotplug_wait
    db=$(udevadm info --export-db)
    for n in $(dmsetup ls 2>/dev/null | awk '$1 ~ /^ldm_vol_/ {print $1}'); do
        uuid=$(udevadm info -q property -n "/dev/mapper/$n" | sed -n 's/^ID_FS_UUID=//p')
        if [ -z "$uuid" ]; then fail "$2: $n has no ID_FS_UUID in udev's database"; continue; fi
        seen=$((seen + 1))
        holders=$(printf '%s\n' "$db" | awk -v u="E: ID_FS_UUID=$uuid" '/^P: / {p=$2} $0 == u {print p}')
        assert_eq "$(printf '%s\n' "$holders" | grep -c .)" 1 "$2: only one device carries $n's UUID $uuid ($(echo $holders))"
        # Compared by device number: /dev/mapper/NAME is a link or a node.
        assert_eq "$(stat -L -c %t:%T "/dev/disk/by-uuid/$uuid" 2>&1)" "$(stat -L -c %t:%T "/dev/mapper/$n")" "$2: /dev/disk/by-uuid/$uuid is $n"
    done
    assert_eq "$seen" "$1" "$2: $1 volumes with a file system checked"
}

hotplug_install

# The real Windows disks: six NTFS volumes.
[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || { fail "real images not available"; exit 1; }
real=$(attach_set simple spanned striped mirrored raid5)
wait_volumes 6
visible_only 6 real
"$LDMCTL" deactivate --all >/dev/null 2>&1
for l in $real; do losetup -d "$l"; done
udevadm settle

# Written disks, writable: an ext4 on each of the five volumes.
work=$(mktemp -d /run/fsvis.XXXXXX)
on_cleanup rm -rf "$work"
"$MKIMAGE" sample "$work/a" >/dev/null || { fail "ldm-mkimage sample"; exit 1; }
for i in 1 2 3 4 5; do attach "$work/a/LdmctlSample-Disk$i.img" -w >/dev/null; done
wait_volumes 5
for v in Simple Spanned Striped Mirror Raid5; do
    assert_ok "mkfs.ext4 on LdmctlSample/$v" -- mkfs.ext4 -q -F "/dev/ldm/LdmctlSample/$v"
done
visible_only 5 written
"$LDMCTL" deactivate --all >/dev/null 2>&1

# A GPT dynamic disk with a retained basic entry over the volume Boot (as
# Windows keeps one over a boot or system volume it made dynamic).
mkdir -p "$work/r"
mkspec "$work/r" '{"groups": [{"name": "Ret", "recordRevision": 4, "privheadMinor": 12,
  "windowsFlags": {"privateHeader": 0, "disks": {}, "volumes": {"Boot": 10485760}, "components": {},
                   "componentPlexes": {}, "extents": {}, "readPolicies": {}, "volumeStates": {}},
  "disks": [{"name": "G1", "sizeBytes": 33554432, "partitionStyle": "gpt", "recordRevision": 4,
             "basicEntries": [{"mbrType": 7, "gptType": "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7",
                               "startBytes": 0, "sizeBytes": 0, "volume": "Boot", "afterLDM": true}]}],
  "volumes": [{"name": "Data", "kind": "simple", "sizeBytes": 4194304, "disks": ["G1"]},
              {"name": "Boot", "kind": "simple", "sizeBytes": 4194304, "disks": ["G1"]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec (retained entry)"; exit 1; }
ret=$(attach "$work/r/Ret-G1.img" -w)
wait_volumes 2
assert_eq "$(ls /sys/class/block/ | grep -c "^$(basename "$ret")p")" 4 "the kernel made 4 partitions (LDM metadata, reserved, LDM data, the retained entry)"
for v in Data Boot; do
    assert_ok "mkfs.ext4 on Ret/$v" -- mkfs.ext4 -q -F "/dev/ldm/Ret/$v"
done
visible_only 2 retained
"$LDMCTL" deactivate --all >/dev/null 2>&1
