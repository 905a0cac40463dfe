# create-volume and delete-volume on copies of the real Windows 2003 R2
# disks (one group of ten disks, no free space): two volumes Windows made
# are deleted (with a metadata backup), then one volume of each type is
# created in the space they leave. For each new volume every independent
# reader agrees with ldmctl: ldmtool (`show volume`, `show partition`) and
# the kernel's LDM partition parser (fresh `losetup -P` of each member).
# Each new volume gets an NTFS file system (mkfs.ntfs, files written through
# ntfs-3g) while ldmctl has it active, and the same files read back through
# ldmtool's mapping. The volumes that were kept read byte-identical before
# and after; `ldmctl monitor` reports volume-deleted and volume-created;
# restore-metadata from the first backup gives every member its original
# bytes back (all but the new volumes' extents, which the file systems
# wrote).
. "$VM_LIB"
. "$(dirname "$VM_LIB")/monitor-lib.sh"

[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || { fail "real images not available"; exit 1; }
# Until the write engine's commands are merged (branch issue13-engine).
"$LDMCTL" create-volume --help >/dev/null 2>&1 || skip "this ldmctl has no create-volume"
GROUP=Red-nzv8x6obywgDg0
GUID=03c0c4fc-8b6f-402b-9431-4be2e5823b1c
# Two of the kept volumes are read through ldmctl before and after (a
# simple and a spanned one, 81 MiB: reading is slow under emulation); the
# byte compare of every member at the end covers the others' extents too.
KEPT="Volume1 Volume4"
modprobe fuse 2>/dev/null
mark() { printf '  .. %4d s  %s\n' "$SECONDS" "$*"; }

work=$(mktemp -d /run/create.XXXXXX)
on_cleanup rm -rf "$work"
mkdir "$work/disks" "$work/mnt"
on_cleanup "umount $work/mnt"
for f in "$LDM_IMAGES"/*.img; do cp --sparse=always "$f" "$work/disks/"; done
mark "copied"
loops=()
for f in "$work"/disks/*.img; do loops+=("$(attach "$f" -w)"); done
udevadm settle
mark "attached"
ldargs=$(for l in "${loops[@]}"; do printf -- '-d %s ' "$l"; done)
on_cleanup "ldmtool $ldargs remove all"
show_before=$("$LDMCTL" show "${loops[@]}" 2>&1)

# volume_json NAME: ldmctl's view of one volume (empty if there is none).
volume_json() {
    "$LDMCTL" show --json "${loops[@]}" | python3 -c '
import json, sys
for v in json.load(sys.stdin)["groups"][0]["volumes"]:
    if v["name"] == sys.argv[1]: print(json.dumps(v))' "$1"
}
dev_of() { printf '/dev/mapper/ldm_vol_%s_%s' "$GROUP" "$1"; }
digest() { sha256sum <"$1" | cut -d' ' -f1; }

# The kept volumes' contents, through ldmctl.
declare -A KEPT_SUM
assert_ok "activate the volumes to keep" -- "$LDMCTL" activate $KEPT "${loops[@]}"
for v in $KEPT; do KEPT_SUM[$v]=$(digest "$(dev_of $v)"); done
assert_ok "deactivate them" -- "$LDMCTL" deactivate $KEPT

monitor_start "$work/events"
mark "delete"

# --- delete: a spanned volume (Disk2, Disk3) and a RAID-5 (Disk8-10) -------
assert_fails "delete-volume without --yes writes nothing" -- "$LDMCTL" delete-volume --group "$GROUP" Volume2 "${loops[@]}"
assert_eq "$("$LDMCTL" show "${loops[@]}" 2>&1)" "$show_before" "nothing changed without --yes"
assert_ok "delete-volume Volume2 (spanned)" -- "$LDMCTL" delete-volume --group "$GROUP" --yes --backup "$work/backup1" Volume2 "${loops[@]}"
assert_exists "$work/backup1/manifest" "the first backup has a manifest"
assert_ok "delete-volume Raid1 (RAID-5)" -- "$LDMCTL" delete-volume --group "$GROUP" --yes --backup "$work/backup2" Raid1 "${loops[@]}"
assert_eq "$(volume_json Volume2)$(volume_json Raid1)" "" "both are gone from ldmctl's view"
gone=$(ldmtool $ldargs show diskgroup "$GUID" 2>&1)
assert_eq "$(printf '%s' "$gone" | grep -c '"Volume2"\|"Raid1"')" 0 "both are gone from ldmtool's view"

# --- create one volume of each type in the space they left ------------------
# inspect GUIDS-BEFORE TYPE: the one volume whose GUID is not in
# GUIDS-BEFORE, from `ldmctl show --json`, beside ldmtool's `show volume`
# and `show partition` of it (one python run: starting processes is slow
# under emulation). Prints: name, verdict ("agree" or the differences),
# and the GUIDs of all volumes now, one per line.
inspect() {
    "$LDMCTL" show --json "${loops[@]}" | python3 -c '
import json, subprocess, sys
guid, before, want_type, ldargs = sys.argv[1], set(sys.argv[2].split()), sys.argv[3], sys.argv[4:]
vols = json.load(sys.stdin)["groups"][0]["volumes"]
new = [v for v in vols if v["guid"] not in before]
if len(new) != 1:
    print("?"); print("%d new volumes: %s" % (len(new), [v["name"] for v in new])); print(" ".join(v["guid"] for v in vols)); sys.exit()
ours = new[0]
def show(kind, name):
    r = subprocess.run(["ldmtool"] + ldargs + ["show", kind, guid, name], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}
theirs = show("volume", ours["name"])
problems = []
def same(what, a, b):
    if a != b: problems.append("%s: ldmctl %r, ldmtool %r" % (what, a, b))
same("type", ours["type"], want_type)
same("type (ldmtool)", str(theirs.get("type")).lower(), want_type)
same("guid", ours["guid"], theirs.get("guid"))
same("size", ours["sizeSectors"], theirs.get("size"))
same("partitions", sorted(p["name"] for p in ours["partitions"]), sorted(theirs.get("partitions", [])))
if ours["chunkSizeBytes"]: same("chunk", ours["chunkSizeBytes"] // 512, theirs.get("chunk-size"))
for p in ours["partitions"]:
    t = show("partition", p["name"])
    same("partition " + p["name"], (p["disk"], p["start"], p["size"]), (t.get("disk"), t.get("start"), t.get("size")))
print(ours["name"]); print("; ".join(problems) or "agree"); print(" ".join(v["guid"] for v in vols))' "$GUID" "$1" "$2" $ldargs
}

# check_fs NAME: NTFS made and written through ldmctl's mapping reads the
# same through ldmtool's.
check_fs() {
    local name=$1 dev
    dev=$(dev_of "$name")
    assert_ok "$name: ldmctl activate" -- "$LDMCTL" activate "$name" "${loops[@]}"
    assert_ok "$name: mkfs.ntfs -Q" -- mkfs.ntfs -Q -f -L "$name" "$dev"
    assert_ok "$name: mount through ntfs-3g" -- mount -t ntfs-3g "$dev" "$work/mnt"
    printf 'volume %s\n' "$name" >"$work/mnt/name.txt"
    head -c 300000 /dev/urandom >"$work/mnt/random.bin"
    local want
    want=$(cd "$work/mnt" && sha256sum name.txt random.bin)
    assert_ok "$name: umount" -- umount "$work/mnt"
    assert_ok "$name: ldmctl deactivate" -- "$LDMCTL" deactivate "$name"
    assert_ok "$name: ldmtool create volume" -- ldmtool $ldargs create volume "$GUID" "$name"
    assert_ok "$name: mount ldmtool's device" -- mount -t ntfs-3g -o ro "$dev" "$work/mnt"
    assert_eq "$(cd "$work/mnt" && sha256sum name.txt random.bin 2>&1)" "$want" "$name: the files read back through ldmtool's mapping"
    umount "$work/mnt"
    ldmtool $ldargs remove volume "$GUID" "$name" >/dev/null 2>&1 || dmsetup remove --retry "$(basename "$dev")"
    udevadm settle
    assert_eq "$(dm_names)" "" "$name: no device left"
}

NEW=()
guids=$("$LDMCTL" show --json "${loops[@]}" | python3 -c 'import json,sys; print(" ".join(v["guid"] for v in json.load(sys.stdin)["groups"][0]["volumes"]))')
# create TYPE SIZE DISKS [NAME]: creates, then the readers and the file system.
create() {
    local type=$1 size=$2 disks=$3 name=${4:-} out verdict
    mark "create $type"
    assert_ok "create-volume --type $type --size $size --disks $disks${name:+ --name $name}" -- \
        "$LDMCTL" create-volume --group "$GROUP" --type "$type" --size "$size" --disks "$disks" ${name:+--name "$name"} \
        --yes --backup "$work/backup-$type" "${loops[@]}"
    out=$(inspect "$guids" "$type")
    { read -r name; read -r verdict; read -r guids; } <<<"$out"
    [ "$name" != "?" ] || { fail "$type: $verdict"; return; }
    NEW+=("$name")
    assert_eq "$verdict" agree "$name ($type): ldmtool show volume/partition = ldmctl show --json"
    # The two views, for the record (the closing note quotes them).
    printf '       | ldmctl:  %s\n' "$("$LDMCTL" show "${loops[@]}" 2>/dev/null | awk -v n="$name" '$1 == "Volume" { p = ($2 == n) } $1 == "Disk" && NF > 2 && $3 != "on" { p = 0 } p' | sed 's/^ *//' | tr -s ' ' | paste -sd';')"
    printf '       | ldmtool: %s\n' "$(ldmtool $ldargs show volume "$GUID" "$name" 2>/dev/null | tr -d '\n' | tr -s ' ')"
    mark "file system on $name"
    check_fs "$name"
}
# The first takes Windows' default name (the lowest free VolumeN: Volume2,
# the deleted volume's name, with a new GUID). A spanned volume must not
# fit on its first disk alone (as Windows), so it takes what Disk2 has
# left and 1 MiB of Disk3.
create simple 8M Disk2
case ${NEW[0]:-} in Volume[0-9]*) pass "the simple volume got Windows' default name ${NEW[0]}" ;; *) fail "default name: '${NEW[0]:-}'" ;; esac
create spanned 40M Disk2,Disk3 NewSpan
create striped 8M Disk3,Disk8 NewStripe
create mirrored 8M Disk3,Disk9 NewMirror
create raid5 8M Disk8,Disk9,Disk10 NewRaid5

mark "kept volumes"
# --- the kept volumes ------------------------------------------------------
assert_ok "activate the kept volumes again" -- "$LDMCTL" activate $KEPT "${loops[@]}"
for v in $KEPT; do assert_eq "$(digest "$(dev_of $v)")" "${KEPT_SUM[$v]}" "$v: byte-identical after the deletes and creates"; done
assert_ok "deactivate them" -- "$LDMCTL" deactivate $KEPT

# --- the monitor -------------------------------------------------------------
sleep 2
events=$(monitor_events "$work/events")
for v in Volume2 Raid1; do
    assert_eq "$(grep -c "^volume-deleted volume=$v\$" <<<"$events")" 1 "monitor: volume-deleted $v once"
done
for v in "${NEW[@]}"; do
    assert_eq "$(grep -c "^volume-created volume=$v\$" <<<"$events")" 1 "monitor: volume-created $v once"
done
kill "$MON_PID" 2>/dev/null
printf '%s\n' "$events" | grep 'volume-created\|volume-deleted' | sed 's/^/       | /'

mark "kernel parser"
# --- the kernel's LDM parser, on fresh loop devices of each member ----------
json=$("$LDMCTL" show --json "${loops[@]}")
fresh=()
for f in "$work"/disks/*.img; do fresh+=("$(losetup -f --show -P -r "$f")"); done
udevadm settle
while IFS='|' read -r img ours; do
    n=""
    for l in "${fresh[@]}"; do [ "$(losetup -nO BACK-FILE "$l")" = "$img" ] && n=$(basename "$l"); done
    kernel=$(for p in /sys/block/$n/${n}p*; do [ -e "$p/start" ] && echo "$(cat $p/start)+$(cat $p/size)"; done | sort -n | tr '\n' ' ')
    assert_eq "$kernel" "$ours" "$(basename "$img"): the kernel's LDM partitions = ldmctl's extents"
    printf '       | %s: kernel %s| ldmctl %s\n' "$(basename "$img")" "$kernel" "$ours"
done < <(python3 -c '
import json, sys, subprocess
d = json.loads(sys.argv[1])
backs = dict(l.split() for l in subprocess.run(["losetup", "-nO", "NAME,BACK-FILE"], capture_output=True, text=True).stdout.splitlines())
for k in d["groups"][0]["disks"]:
    ext = sorted((k["dataStart"] + r["start"], r["size"]) for r in k["regions"] if not r["free"])
    print(backs[k["device"]] + "|" + "".join("%d+%d " % e for e in ext))' "$json")
for l in "${fresh[@]}"; do losetup -d "$l"; done
udevadm settle

mark "restore"
# --- restore-metadata ----------------------------------------------------------
# The new volumes' extents (bytes, per image): the file systems wrote there.
written=$(python3 -c '
import json, sys, subprocess
d = json.loads(sys.argv[1])
backs = dict(l.split() for l in subprocess.run(["losetup", "-nO", "NAME,BACK-FILE"], capture_output=True, text=True).stdout.splitlines())
new = set(sys.argv[2:])
for k in d["groups"][0]["disks"]:
    for r in k["regions"]:
        if not r["free"] and r["volume"] in new:
            print(backs[k["device"]], (k["dataStart"] + r["start"]) * 512, r["size"] * 512)' "$json" "${NEW[@]}")
assert_fails "restore-metadata without --yes writes nothing" -- "$LDMCTL" restore-metadata "$work/backup1" "${loops[@]}"
assert_ok "restore-metadata --yes the first backup" -- "$LDMCTL" restore-metadata --yes "$work/backup1" "${loops[@]}"
assert_eq "$("$LDMCTL" show "${loops[@]}" 2>&1)" "$show_before" "ldmctl shows the original configuration again"
assert_eq "$(python3 -c '
import sys, os
skip = {}
for line in sys.argv[2].splitlines():
    f, off, size = line.split()
    skip.setdefault(os.path.basename(f), []).append((int(off), int(off) + int(size)))
bad = []
for name in sorted(os.listdir(sys.argv[1] + "/disks")):
    a = open(sys.argv[1] + "/disks/" + name, "rb").read()
    b = open(sys.argv[3] + "/" + name, "rb").read()
    if len(a) != len(b): bad.append(name + ": size"); continue
    holes = sorted(skip.get(name, []))
    pos = 0
    for start, end in holes + [(len(a), len(a))]:
        if a[pos:start] != b[pos:start]: bad.append("%s: differs in bytes %d..%d" % (name, pos, start)); break
        pos = max(pos, end)
print("; ".join(bad) or "equal")' "$work" "$written" "$LDM_IMAGES")" equal \
    "every member equals its original outside the new volumes' extents"
mark "end"
