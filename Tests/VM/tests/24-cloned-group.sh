# A cloned group (a copy of every disk beside the original) activates
# beside the original under distinct, predictable names.
. "$VM_LIB"

written_sample

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
