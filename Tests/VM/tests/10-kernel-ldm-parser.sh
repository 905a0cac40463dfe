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
