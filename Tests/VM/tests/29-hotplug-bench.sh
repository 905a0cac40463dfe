# The hotplug benchmark (../bench-hotplug.sh) at small sizes, checked: the
# metadata read for N disks arriving one by one is N times one disk's (each
# event reads its own disk, never a rescan: a rescan would read k disks at
# the k-th), and the volume appears only after its last disk. Prints the
# figures; BENCH_SIZES="4 16 32" in the guest's environment for the full run.
. "$VM_LIB"
out=$(bash "$(dirname "$VM_LIB")/bench-hotplug.sh" ${BENCH_SIZES:-2 4} 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/       | /'
[ $rc -eq 0 ] && pass "benchmark ran" || fail "benchmark exit $rc"
case "$out" in *"  FAIL"*) fail "the benchmark reported failures" ;; esac
found=0
while read -r _ n lat dr first ev all maxev minev; do
    found=1
    n=${n#N=}; dr=${dr#disks_read=}; first=${first#first_event_bytes=}; maxev=${maxev#max_event_bytes=}; minev=${minev#min_event_bytes=}
    assert_eq "$dr" "$n" "N=$n: every disk read by its own events"
    # The disks of one N have identical layouts: one disk's read is a fixed
    # size, so every event reads exactly that if it reads only its own disk.
    assert_eq "$minev" "$maxev" "N=$n: every event read the same amount (one disk, $maxev bytes)"
    assert_eq "$first" "$((n * maxev))" "N=$n: first-event reads = N x one disk's metadata"
done < <(printf '%s\n' "$out" | grep '^bench ')
[ $found = 1 ] && pass "benchmark printed figures" || fail "no benchmark figures"
