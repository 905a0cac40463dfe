# Hotplug with systemd-udevd and ldmctl's rules: LDM disks attached one at
# a time. Each volume appears exactly when its last member appears (a
# mirror waits for its second disk: the degraded timeout is long here),
# gets /dev/ldm/GROUP/VOLUME and LDM_* properties; pieces of multi-disk
# volumes are hidden from blkid/udisks/systemd, a simple volume's partition
# is not; a disk without LDM never runs the helper.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

work=$(mktemp -d /run/hp-arrival.XXXXXX)
on_cleanup rm -rf "$work"
MiB=1048576
mkspec "$work" '{"groups": [
 {"name": "Hot", "disks": [
   {"name": "D1", "sizeBytes": 16777216}, {"name": "D2", "sizeBytes": 16777216},
   {"name": "D3", "sizeBytes": 16777216}, {"name": "D4", "sizeBytes": 16777216}],
  "volumes": [
   {"name": "Simple", "kind": "simple", "sizeBytes": 1048576, "disks": ["D1"], "driveHint": "E:"},
   {"name": "Spanned", "kind": "spanned", "sizeBytes": 2097152, "disks": ["D1", "D2"], "spanBytes": [1048576, 1048576]},
   {"name": "Raid5", "kind": "raid5", "sizeBytes": 2097152, "disks": ["D1", "D2", "D3"]},
   {"name": "Striped", "kind": "striped", "sizeBytes": 3145728, "disks": ["D2", "D3", "D4"]},
   {"name": "Mirror", "kind": "mirrored", "sizeBytes": 1048576, "disks": ["D3", "D4"], "driveHint": "F:"},
   {"name": "Odd $x \"q'"'"' ;\n..", "kind": "simple", "sizeBytes": 1048576, "disks": ["D4"], "driveHint": "$(id)\n"}]},
 {"name": "HotGpt", "disks": [
   {"name": "G1", "sizeBytes": 16777216, "partitionStyle": "gpt"}],
  "volumes": [
   {"name": "GSimple", "kind": "simple", "sizeBytes": 1048576, "disks": ["G1"]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec"; exit 1; }

# A disk that is not LDM: an MBR with one Linux partition.
python3 - "$work/plain.img" <<'PY'
import sys
f = open(sys.argv[1], "wb"); f.truncate(16 << 20)
mbr = bytearray(512)
mbr[446 + 4] = 0x83
mbr[446 + 8:446 + 12] = (2048).to_bytes(4, "little")
mbr[446 + 12:446 + 16] = (30000).to_bytes(4, "little")
mbr[510:512] = b"\x55\xaa"
f.seek(0); f.write(mbr); f.close()
PY

# Long degraded timeout: nothing may start degraded in this test.
hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'

step() {  # step IMAGE EXPECTED-VOLUMES
    local loop
    loop=$(attach "$work/$1.img") || { fail "attach $1"; return; }
    hotplug_wait
    # An activation would have been queued by now; give a stray one time to show.
    sleep 0.5
    assert_eq "$(active_volumes)" "$2" "after $1: exactly the volumes whose last disk is present"
    local var=${1//-/_}
    eval "LOOP_$var=$loop"
}

plain=$(attach "$work/plain.img")
hotplug_wait
props=$(udevadm info -q property "$plain")
assert_contains "$props" "ID_PART_TABLE_TYPE=dos" "plain disk: udev sees its partition table"
case "$props" in *LDM_DISK*) fail "plain disk: marked LDM" ;; *) pass "plain disk: not marked LDM" ;; esac
assert_eq "$(grep -c "^$(devnum "$plain") " $HOTPLUG_STATE/reads 2>/dev/null || echo 0)" 0 "plain disk: the helper did not run"
assert_not_exists "$HOTPLUG_STATE/disks/$(devnum "$plain")" "plain disk: no record"

V=ldm_vol_Hot_
step Hot-D1 "${V}Simple"
step Hot-D2 "${V}Simple ${V}Spanned"
step Hot-D3 "${V}Raid5 ${V}Simple ${V}Spanned"
ODD='ldm_vol_Hot_Odd_x20_x24x_x20_x22q_x27_x20_x3b_x0a..'
step Hot-D4 "${V}Mirror ${ODD} ${V}Raid5 ${V}Simple ${V}Spanned ${V}Striped"
step HotGpt-G1 "ldm_vol_HotGpt_GSimple ${V}Mirror ${ODD} ${V}Raid5 ${V}Simple ${V}Spanned ${V}Striped"

# --- one record and one metadata read per disk; reads are the disk's own ---
assert_eq "$(ls $HOTPLUG_STATE/disks | wc -l)" 5 "five disk records"
for l in $LOOP_Hot_D1 $LOOP_Hot_D2 $LOOP_Hot_D3 $LOOP_Hot_D4 $LOOP_HotGpt_G1; do
    n=$(grep -c "^$(devnum $l) " $HOTPLUG_STATE/reads)
    [ "$n" -ge 1 ] && pass "$(basename $l): metadata read by its own event ($n)" || fail "$(basename $l): no read recorded"
done

# --- each volume activated exactly once, nothing failed ---
for v in Simple Spanned Raid5 Striped Mirror; do
    assert_eq "$(count_log "activated Hot/$v as ")" 1 "Hot/$v activated exactly once"
done
assert_eq "$(count_log 'activated HotGpt/GSimple as ')" 1 "the GPT disk's volume activated once"
assert_eq "$(count_log 'could not|cannot|unusable|error')" 0 "no errors in the helper's log"
assert_eq "$(count_log 'DEGRADED|degraded in')" 1 "the mirror armed the degraded timer once and never started degraded"

# --- /dev/ldm links and properties ---
for v in Simple Spanned Raid5 Striped Mirror; do
    assert_eq "$(readlink -f /dev/ldm/Hot/$v)" "$(readlink -f /dev/mapper/${V}$v)" "/dev/ldm/Hot/$v is the volume"
done
assert_eq "$(readlink -f /dev/ldm/HotGpt/GSimple)" "$(readlink -f /dev/mapper/ldm_vol_HotGpt_GSimple)" "/dev/ldm/HotGpt/GSimple"
props=$(udevadm info -q property /dev/ldm/Hot/Simple)
assert_contains "$props" "LDM_GROUP=Hot" "LDM_GROUP"
assert_contains "$props" "LDM_VOLUME=Simple" "LDM_VOLUME"
assert_contains "$props" "LDM_DRIVE_HINT=E:" "LDM_DRIVE_HINT"
assert_contains "$props" "LDM_VOLUME_TYPE=simple" "LDM_VOLUME_TYPE"
# A hostile volume name and hint: only the safe charset reaches udev and /dev.
odd=$(ls /dev/ldm/Hot/ | grep Odd)
assert_eq "$odd" "Odd_x20_x24x_x20_x22q_x27_x20_x3b_x0a.." "hostile volume name is escaped in the link"
props=$(udevadm info -q property "/dev/ldm/Hot/$odd")
assert_contains "$props" 'LDM_DRIVE_HINT=_x24_x28id_x29_x0a' "hostile drive hint is escaped"
bad=$(udevadm info -q property "/dev/ldm/Hot/$odd" | grep '^LDM_' | grep -v '^LDM_[A-Z_]*=[A-Za-z0-9+._:/-]*$' || true)
assert_eq "$bad" "" "every LDM_ property is in the safe charset"
assert_eq "$(find /dev/ldm | LC_ALL=C grep -v '^[A-Za-z0-9+._/:-]*$' || true)" "" "every name under /dev/ldm is in the safe charset"

# --- kernel partitions: all hidden (the volume advertises the file system) ---
role_of() { udevadm info -q property "$1" | sed -n 's/^LDM_PARTITION_ROLE=//p'; }
d1=$(basename $LOOP_Hot_D1)
seen=""
for p in /sys/block/$d1/${d1}p*; do
    [ -e "$p/partition" ] || continue
    dev=/dev/$(basename $p)
    role=$(role_of $dev)
    props=$(udevadm info -q property $dev)
    seen="$seen $role"
    case $role in
        simple|spanned|raid5|striped|mirrored)
            assert_contains "$props" "UDISKS_IGNORE=1" "$dev ($role piece): UDISKS_IGNORE=1"
            assert_contains "$props" "SYSTEMD_READY=0" "$dev ($role piece): SYSTEMD_READY=0" ;;
    esac
done
assert_eq "$(echo $seen | tr ' ' '\n' | sort | tr '\n' ' ')" "raid5 simple spanned " "D1's kernel partitions carry their roles"

hotplug_show_log 80
# --- removing the volumes again (not part of hotplug: the lead's command) ---
"$LDMCTL" deactivate --all >/dev/null 2>&1
