# Each redundant real volume with any one member missing activates degraded
# and reads back byte-identical to the healthy volume; --no-degraded
# refuses it; two members missing is incomplete and creates nothing.
. "$VM_LIB"

[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || { fail "real images not available"; exit 1; }
GROUP=Red-nzv8x6obywgDg0

check() {  # VOLUME IMAGE-PREFIX...
    local vol=$1; shift
    local all dev ref
    all=$(attach_set "$@"); udevadm settle
    "$LDMCTL" activate "$vol" $all >/dev/null 2>&1 || fail "$vol: activate healthy"
    dev=/dev/mapper/ldm_vol_${GROUP}_$vol
    ref=$(sha256sum <"$dev" | cut -d' ' -f1)
    "$LDMCTL" deactivate "$vol" >/dev/null 2>&1 || fail "$vol: deactivate"
    local missing
    for missing in $all; do
        local rest out
        rest=$(for l in $all; do [ "$l" != "$missing" ] && echo "$l"; done)
        assert_fails "$vol without $(basename "$missing"): --no-degraded refuses" -- "$LDMCTL" activate --no-degraded "$vol" $rest
        assert_eq "$(dm_names)" "" "$vol: nothing created when refused"
        out=$("$LDMCTL" activate "$vol" $rest 2>&1) || fail "$vol without $(basename "$missing"): activate degraded"
        assert_contains "$out" "degraded" "$vol: warns that it starts degraded"
        assert_eq "$(sha256sum <"$dev" | cut -d' ' -f1)" "$ref" "$vol without $(basename "$missing"): same bytes"
        assert_contains "$("$LDMCTL" status)" "degraded" "$vol: status says degraded"
        "$LDMCTL" deactivate "$vol" >/dev/null 2>&1 || fail "$vol: deactivate degraded"
    done
    # With three or more members, one member alone is not readable (a
    # two-plex mirror with one plex is degraded, checked above).
    if [ "$(echo "$all" | wc -l)" -ge 3 ]; then
        local one
        one=$(echo "$all" | head -n 1)
        assert_fails "$vol with one member only: incomplete" -- "$LDMCTL" activate "$vol" $one
        assert_eq "$(dm_names)" "" "$vol: nothing of an incomplete volume is created"
    fi
    for l in $all; do losetup -d "$l"; done
}
check Volume3 mirrored
check Raid1 raid5
