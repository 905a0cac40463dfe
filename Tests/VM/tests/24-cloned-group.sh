# A cloned group (a copy of every disk beside the original) activates
# beside the original under distinct, predictable names.
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
