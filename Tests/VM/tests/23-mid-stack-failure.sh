# A failure in the middle of a volume's stack (a member held exclusively
# by someone else) leaves nothing of the volume behind, and the error
# names the step.
. "$VM_LIB"

written_sample

# --- failure injected mid-stack: a member held exclusively ---
# Raid5's third member is the last helper created; hold the partition
# device it maps through, so creating that helper fails with EBUSY.
third=$("$LDMCTL" table --volume Raid5 "${mbr[@]}" | grep "^# $G/Raid5: " | tail -n 1 | grep -o '/dev/loop[0-9]*p[0-9]*')
assert_ok "Raid5's third member maps through a partition device ($third)" -- test -b "$third"
python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL); open(sys.argv[2], "w").close(); time.sleep(120)' "$third" "$work/held" &
holder=$!
on_cleanup kill $holder
for _ in $(seq 50); do [ -e "$work/held" ] && break; sleep 0.1; done
out=$("$LDMCTL" activate Raid5 "${mbr[@]}" 2>&1); rc=$?
echo "$out" | sed 's/^/       | /'
assert_eq "$rc" 1 "activation with a busy member fails"
assert_contains "$out" "ldm_part_${G}_" "the error names the step's device"
assert_eq "$(dm_names)" "" "and nothing of the volume is left behind"
kill $holder; wait $holder 2>/dev/null || true

