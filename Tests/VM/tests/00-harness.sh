# The VM itself: device-mapper, loop, udev and ldmtool work, and the real
# Windows images give the volumes libldm's reference tool gives. Later
# tests compare ldmctl against the checksums here.
. "$VM_LIB"

GROUP_GUID=03c0c4fc-8b6f-402b-9431-4be2e5823b1c
GROUP=Red-nzv8x6obywgDg0

# The volumes of the real group (checked against ldmtool byte for byte in
# 20-activate-real; no checksum derived from the images is kept here).
VOLUMES=(Volume1 Volume2 Stripe1 Volume4 Volume3 Raid1)

# --- kernel pieces ---
assert_exists /dev/mapper/control "device-mapper control node exists"
targets=$(dmsetup targets)
for t in linear striped mirror raid error; do
    assert_contains "$targets" "$t" "dm target '$t' is available"
done
assert_ok "udevd answers" -- udevadm control --ping
# Two daemons would process every uevent twice and confirm every dm cookie
# twice (see ../udevd.sh).
assert_eq "$(pgrep -c -x -P 1 systemd-udevd)" 1 "exactly one systemd-udevd daemon runs"

# --- udev makes /dev/mapper links for a device ---
assert_ok "dmsetup create a zero device" -- dmsetup create harness_zero --uuid LDM-harness-zero --table "0 2048 zero"
on_cleanup dmsetup remove harness_zero
link=$(readlink /dev/mapper/harness_zero || true)
assert_contains "$link" "dm-" "/dev/mapper/harness_zero is udev's symlink to a dm node"
assert_exists /dev/disk/by-id/dm-uuid-LDM-harness-zero "udev made the by-id uuid link"
assert_ok "remove it" -- dmsetup remove harness_zero
assert_not_exists /dev/mapper/harness_zero "link gone after remove"

# --- loop devices with partitions ---
[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || skip "real images not available"
loops=$(attach_set simple spanned striped mirrored raid5)
assert_eq "$(echo "$loops" | wc -l)" 10 "ten images attached read-only"
udevadm settle
for l in $loops; do
    [ -e "${l}p1" ] || fail "partition ${l}p1 missing"
done
pass "every loop shows its LDM data partition"

# --- ldmtool, libldm's reference activator ---
scan=$(ldmtool scan)
assert_contains "$scan" "$GROUP_GUID" "ldmtool scan finds the disk group"
created=$(ldmtool create all)
on_cleanup ldmtool remove all
echo "$created" | sed 's/^/       | /'
for vol in "${VOLUMES[@]}"; do
    dev=/dev/mapper/ldm_vol_${GROUP}_$vol
    assert_exists "$dev" "ldmtool created $vol"
    assert_eq "$(ntfscat "$dev" test.txt 2>&1)" "Filesystem test" "$vol: NTFS test.txt reads back"
done
dmsetup table | sed 's/^/       | /'
dmsetup status | sed 's/^/       | /'
assert_contains "$(dmsetup status ldm_vol_${GROUP}_Raid1)" "AAA" "RAID-5 has all three members alive"
assert_contains "$(dmsetup status ldm_vol_${GROUP}_Volume3)" "AA" "mirror has both members alive"

assert_ok "ldmtool remove all" -- ldmtool remove all
assert_eq "$(dm_names | wc -l)" 0 "no dm devices left"

# Nothing was written to any member disk.
writes=0
for l in $loops; do writes=$((writes + $(awk '{print $5}' /sys/block/$(basename $l)/stat))); done
assert_eq "$writes" 0 "no write I/O reached the loop devices"
