# Kernel facts Activation relies on, on writable copies of the real images:
# a dm-raid table without metadata devices starts in sync and writes
# nothing to its members, with or without "nosync", and the kernel prints
# such tables back unchanged (so planned and live tables compare as text).
. "$VM_LIB"

[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || skip "real images not available"
work=$(mktemp -d /run/raid.XXXXXX)
on_cleanup rm -rf "$work"
for f in mirrored-1 mirrored-2 raid5-1 raid5-2 raid5-3; do
    cp --sparse=always "$LDM_IMAGES/ldm-2003r2-$f.img" "$work/"
done
before=$(cd "$work" && sha256sum *.img)

# Writable loops: the kernel would be free to write.
loops=()
for f in mirrored-1 mirrored-2 raid5-3 raid5-2 raid5-1; do loops+=("$(attach "$work/ldm-2003r2-$f.img" -w)"); done
udevadm settle
# The LDM data partition on each disk: 96256 sectors at sector 63.
parts=()
for i in 0 1 2 3 4; do
    n=$(basename "${loops[$i]}")
    dmsetup create "raidtest_p$i" --table "0 96256 linear $(cat /sys/block/$n/dev) 63"
    on_cleanup dmsetup remove "raidtest_p$i"
    parts+=("$(dmsetup info -c --noheadings -o major,minor raidtest_p$i | tr -d ' ')")
done
writes() { local s=0 l; for l in "${loops[@]}"; do s=$((s + $(awk '{print $5}' /sys/block/$(basename $l)/stat))); done; echo $s; }

check() {  # name size params
    local name=$1 size=$2 params=$3
    assert_ok "$name: create" -- dmsetup create "$name" --table "0 $size raid $params"
    assert_eq "$(dmsetup table "$name")" "0 $size raid $params" "$name: kernel prints the table back unchanged"
    sleep 2
    local status; status=$(dmsetup status "$name")
    echo "       | $status"
    assert_contains "$status" " idle " "$name: no resync running"
    assert_contains "$status" "$((size / ${4:-1}))/$((size / ${4:-1}))" "$name: fully in sync from the start"
    assert_eq "$(ntfscat /dev/mapper/$name test.txt 2>&1)" "Filesystem test" "$name: NTFS reads"
    assert_ok "$name: remove" -- dmsetup remove "$name"
    assert_eq "$(writes)" 0 "$name: no write I/O on any member"
}
check raidtest_r1 96256 "raid1 1 0 2 - ${parts[0]} - ${parts[1]}"
check raidtest_r1ns 96256 "raid1 2 0 nosync 2 - ${parts[0]} - ${parts[1]}"
check raidtest_r5 192512 "raid5_ls 1 128 3 - ${parts[2]} - ${parts[3]} - ${parts[4]}" 2
check raidtest_r5ns 192512 "raid5_ls 2 128 nosync 3 - ${parts[2]} - ${parts[3]} - ${parts[4]}" 2

# Degraded RAID-5: the missing leg shows as "-" in the health characters.
assert_ok "degraded raid5: create" -- dmsetup create raidtest_r5d --readonly \
    --table "0 192512 raid raid5_ls 2 128 nosync 3 - ${parts[2]} - - - ${parts[4]}"
assert_contains "$(dmsetup status raidtest_r5d)" " A-A " "degraded raid5: health 'A-A'"
assert_eq "$(ntfscat /dev/mapper/raidtest_r5d test.txt 2>&1)" "Filesystem test" "degraded raid5: NTFS reads"
assert_ok "degraded raid5: remove" -- dmsetup remove raidtest_r5d

for i in 4 3 2 1 0; do dmsetup remove "raidtest_p$i"; done
assert_eq "$(cd "$work" && sha256sum *.img)" "$before" "member images unchanged"
