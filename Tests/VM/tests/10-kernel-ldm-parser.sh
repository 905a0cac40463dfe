# The kernel's own LDM partition parser (block/partitions/ldm.c, built into
# Debian's kernel) is an independent reader: for every MBR dynamic disk,
# written by our writer or by Windows, the partitions it creates must be
# exactly the extents `ldmctl show` reports for that disk.
. "$VM_LIB"

work=$(mktemp -d /run/kparse.XXXXXX)
on_cleanup rm -rf "$work"
"$MKIMAGE" sample --no-content "$work" >/dev/null || fail "ldm-mkimage sample"

# compare LOOP...: per MBR disk, kernel partitions vs ldmctl's extents
# (one python run for all disks: process start-up is slow under emulation).
compare() {
    local json line
    json=$("$LDMCTL" show --json "$@") || fail "ldmctl show --json $*"
    while IFS='|' read -r loop ours; do
        local n kernel
        n=$(basename "$loop")
        kernel=$(for p in /sys/block/$n/${n}p*; do [ -e "$p/start" ] && echo "$(cat $p/start)+$(cat $p/size)"; done | sort -n | tr '\n' ' ')
        [ -n "$ours" ] || { fail "$n: ldmctl reports no partitions"; continue; }
        assert_eq "$kernel" "$ours" "$n ($(basename "$(losetup -nO BACK-FILE "$loop")")): kernel LDM partitions = ldmctl extents"
    done < <(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for g in d["groups"]:
    scale = g["sectorSize"] // 512
    for k in g["disks"]:
        if k["present"] and k["partitionStyle"] == "mbr":
            ext = sorted((k["dataStart"] + r["start"]) * scale for r in k["regions"] if not r["free"])
            sizes = {(k["dataStart"] + r["start"]) * scale: r["size"] * scale for r in k["regions"] if not r["free"]}
            print(k["device"] + "|" + "".join("%d+%d " % (s, sizes[s]) for s in ext))')
}

loops=()
for img in "$work"/*.img; do loops+=("$(attach "$img")"); done
udevadm settle
compare "${loops[@]}"

if [ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ]; then
    real=$(attach_set simple spanned striped mirrored raid5)
    udevadm settle
    compare $real
else
    fail "real images not available at $LDM_IMAGES"
fi

# Where the kernel's parser and ldmctl differ on purpose (docs/FORMAT.md),
# on copies of a written MBR disk (Disk1 of the sample: database in its
# last MiB, VMDB at database sector 17, PRIVHEADs at sector 6 and database
# sectors 1856 and 2047):
src="$work/LdmctlSample-Disk1.img"
size=$(stat -c %s "$src")
db=$((size - 1048576))
# poke FILE OFFSET HEXBYTES: writes bytes in place.
poke() { printf "$(printf '%s' "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# 1. A change stopped before its commit point (VMDB update status 2): the
#    kernel's LDM parser refuses the disk; ldmctl rolls back to the
#    committed configuration and says so.
cp --sparse=always "$src" "$work/change.img"
poke "$work/change.img" $((db + 17 * 512 + 16)) 0002
loop=$(attach "$work/change.img")
udevadm settle
n=$(basename "$loop")
kernel=$(for p in /sys/block/$n/${n}p*; do [ -e "$p/start" ] && echo "$(cat $p/start)+$(cat $p/size)"; done | tr '\n' ' ')
# (its LDM parser refuses the disk; the MBR parser then shows the 0x42 entry)
assert_eq "$kernel" "63+$((size / 512 - 63)) " "VMDB status 2: the kernel makes no LDM partitions, only the MBR's 0x42 entry"
assert_contains "$("$LDMCTL" show "$loop" 2>&1)" "rolled back to committed sequence" "VMDB status 2: ldmctl rolls back and says so"
# 2. Every PRIVHEAD checksum wrong: the kernel reads the disk anyway;
#    ldmctl refuses it, naming the checksum.
cp --sparse=always "$src" "$work/sum.img"
for off in $((6 * 512)) $((db + 1856 * 512)) $((db + 2047 * 512)); do poke "$work/sum.img" $((off + 11)) 5a; done
loop=$(attach "$work/sum.img")
udevadm settle
assert_eq "$([ "$(ls /sys/block/$(basename "$loop")/ | grep -c "^$(basename "$loop")p")" -gt 0 ] && echo yes)" yes "bad PRIVHEAD checksums: the kernel still makes partitions"
assert_contains "$("$LDMCTL" show "$loop" 2>&1)" "checksum" "bad PRIVHEAD checksums: ldmctl refuses the disk"
