# A disk with another partition in use: the whole disk cannot be claimed
# (what makes ldmtool fail), but ldmctl maps through partition devices.
. "$VM_LIB"

written_sample

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
kill $holder; wait $holder 2>/dev/null || true

