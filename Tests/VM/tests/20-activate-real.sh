# ldmctl activates every volume of the real Windows disks; each reads back
# byte-identical to the same volume activated by ldmtool in this run, and
# test.txt says "Filesystem test". Activation and deactivation write
# nothing to the members, and deactivation leaves no LDM device behind.
. "$VM_LIB"

[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || { fail "real images not available"; exit 1; }
GROUP=Red-nzv8x6obywgDg0
loops=$(attach_set simple spanned striped mirrored raid5)
udevadm settle
ldargs=$(for l in $loops; do printf -- '-d %s ' "$l"; done)

# Reference: ldmtool's devices and their checksums.
declare -A REF
ldmtool $ldargs create all >/dev/null 2>&1 || fail "ldmtool create all"
for dev in /dev/mapper/ldm_vol_${GROUP}_*; do
    REF[$(basename "$dev")]=$(sha256sum <"$dev" | cut -d' ' -f1)
done
ldmtool $ldargs remove all >/dev/null 2>&1
for d in $(dm_names); do dmsetup remove --retry "$d" >/dev/null 2>&1; done
assert_eq "${#REF[@]}" 6 "ldmtool made six volumes"
assert_eq "$(dm_names)" "" "ldmtool's devices removed"

writes() { local s=0 l; for l in $loops; do s=$((s + $(awk '{print $5}' /sys/block/$(basename $l)/stat))); done; echo $s; }
w0=$(writes)

assert_ok "ldmctl activate --all" -- "$LDMCTL" activate --all $loops
for name in "${!REF[@]}"; do
    dev=/dev/mapper/$name
    assert_exists "$dev" "$name exists"
    assert_eq "$(sha256sum <"$dev" | cut -d' ' -f1)" "${REF[$name]}" "$name: same bytes as ldmtool's"
    assert_eq "$(ntfscat "$dev" test.txt 2>&1)" "Filesystem test" "$name: test.txt"
done
assert_ok "activate again: already active, exit 0" -- "$LDMCTL" activate --all $loops
st=$("$LDMCTL" status --json)
assert_contains "$st" "\"health\": \"ok\"" "status reports health"
assert_contains "$("$LDMCTL" status)" "AAA" "status shows RAID-5 member health"
table=$("$LDMCTL" table --volume Volume1 $loops)
assert_contains "$table" "p1 at sector 0" "table says the extent goes through the kernel's partition device"

assert_ok "ldmctl deactivate --all" -- "$LDMCTL" deactivate --all
assert_eq "$(dmsetup ls --target linear; dmsetup ls --target raid; dmsetup ls --target striped)" \
    "$(printf 'No devices found\nNo devices found\nNo devices found')" "no device left"
assert_eq "$(writes)" "$w0" "member write counters unchanged over activate + deactivate"
