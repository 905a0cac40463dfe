# Written images: an open volume is not deactivated; a failure in the
# middle of a stack leaves nothing behind; a disk with a partition in use
# still activates through partition devices (ldmtool fails there); a
# cloned group activates beside the original under distinct names; and
# every volume reads its known contents.
. "$VM_LIB"

work=$(mktemp -d /run/safety.XXXXXX)
on_cleanup rm -rf "$work"
"$MKIMAGE" sample "$work/a" >/dev/null || fail "ldm-mkimage sample"
G=LdmctlSample
mbr=(); for i in 1 2 3 4 5; do mbr+=("$(attach "$work/a/$G-Disk$i.img")"); done
udevadm settle

sectors() { blockdev --getsz "$1"; }
known() {  # GROUP VOLUME DEVICE
    assert_eq "$(sha256sum <"$3" | cut -d' ' -f1)" "$("$MKIMAGE" digest "$1" "$2" "$(sectors "$3")")" "$1/$2 via $(basename "$3"): known contents"
}

# --- every volume, known contents ---
assert_ok "activate all written volumes" -- "$LDMCTL" activate --group $G "${mbr[@]}"
for v in Simple Spanned Striped Mirror Raid5; do known $G $v /dev/mapper/ldm_vol_${G}_$v; done

# --- an open volume is left whole ---
exec 3</dev/mapper/ldm_vol_${G}_Raid5
out=$("$LDMCTL" deactivate Raid5 2>&1); rc=$?
assert_eq "$rc" 1 "deactivating an open volume fails"
assert_contains "$out" "in use" "and says it is in use"
assert_contains "$out" "ldm_vol_${G}_Raid5" "naming it"
assert_exists /dev/mapper/ldm_vol_${G}_Raid5 "open volume still there"
helpers=$(dmsetup ls | grep -c ldm_part_${G}_ || true)
assert_eq "$helpers" 5 "its helper devices (and the mirror's) are all still there"
exec 3<&-
assert_ok "deactivate all once closed" -- "$LDMCTL" deactivate --all
assert_eq "$(dm_names)" "" "nothing left"

# --- failure injected mid-stack: a member held exclusively ---
# Raid5's third member is the last helper created; hold the partition
# device it maps through, so creating that helper fails with EBUSY.
third=$("$LDMCTL" table --volume Raid5 "${mbr[@]}" | grep "^# $G/Raid5: " | tail -n 1 | grep -o '/dev/loop[0-9]*p[0-9]*')
assert_ok "Raid5's third member maps through a partition device ($third)" -- test -b "$third"
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); open(sys.argv[2], "w").close(); time.sleep(120)' "$third" "$work/held" &
holder=$!
on_cleanup kill $holder
for _ in $(seq 50); do [ -e "$work/held" ] && break; sleep 0.1; done
out=$("$LDMCTL" activate Raid5 "${mbr[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/       | /'
assert_eq "$rc" 1 "activation with a busy member fails"
assert_contains "$out" "ldm_part_${G}_" "the error names the step's device"
assert_eq "$(dm_names)" "" "and nothing of the volume is left behind"
kill $holder; wait $holder 2>/dev/null

# --- busy disk: another partition of the disk is in use ---
# Hold the whole of Disk1's *other* partition table entry: on these MBR
# disks the kernel's LDM parser made one partition per LDM partition, so
# hold Disk1's Simple partition open exclusively and activate Striped,
# whose Disk1 piece is another partition of the same disk.
simple_part=$("$LDMCTL" table --volume Simple "${mbr[@]}" | grep -o '/dev/loop[0-9]*p[0-9]*' | head -n 1)
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); open(sys.argv[2], "w").close(); time.sleep(120)' "$simple_part" "$work/held2" &
holder=$!
on_cleanup kill $holder
for _ in $(seq 50); do [ -e "$work/held2" ] && break; sleep 0.1; done
assert_fails "the whole disk cannot be claimed now (what makes ldmtool fail)" -- \
    dmsetup create ldmctl_busy_probe --table "0 8 linear ${mbr[0]} 0"
dmsetup remove ldmctl_busy_probe >/dev/null 2>&1
ldargs=$(for l in "${mbr[@]}"; do printf -- '-d %s ' "$l"; done)
if ldmtool $ldargs create all >/dev/null 2>&1; then echo "       | ldmtool create all: succeeded"; else echo "       | ldmtool create all: failed"; fi
ldmtool $ldargs remove all >/dev/null 2>&1
for d in $(dm_names); do dmsetup remove --retry "$d" >/dev/null 2>&1; done
assert_ok "ldmctl activates Striped on a disk with a partition in use" -- "$LDMCTL" activate Striped "${mbr[@]}"
known $G Striped /dev/mapper/ldm_vol_${G}_Striped
"$LDMCTL" deactivate --all >/dev/null 2>&1
kill $holder; wait $holder 2>/dev/null

# --- cloned group: a copy of every disk beside the original ---
mkdir -p "$work/b"
for f in "$work"/a/*.img; do cp --sparse=always "$f" "$work/b/"; done
clone=(); for f in "$work"/b/*.img; do case "$f" in *Gpt*) ;; *) clone+=("$(attach "$f")");; esac; done
udevadm settle
scan=$("$LDMCTL" scan "${mbr[@]}" "${clone[@]}")
assert_contains "$scan" "clone 1" "scan shows the second set as a clone"
assert_contains "$("$LDMCTL" show "${mbr[@]}" "${clone[@]}")" "clone 1" "show says it is a clone"
assert_ok "activate both sets" -- "$LDMCTL" activate --all "${mbr[@]}" "${clone[@]}"
for v in Simple Raid5; do
    known $G $v /dev/mapper/ldm_vol_${G}_$v
    known $G $v /dev/mapper/ldm_vol_${G}.clone1_$v
done
assert_ok "deactivate both" -- "$LDMCTL" deactivate --all
assert_eq "$(dm_names)" "" "nothing left"
