# Written images: every volume reads its known contents; an open volume
# is not deactivated and its whole stack stays.
. "$VM_LIB"

written_sample

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

