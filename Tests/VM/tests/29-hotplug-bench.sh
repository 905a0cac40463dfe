# The hotplug benchmark (../bench-hotplug.sh) at small sizes, checked: the
# metadata read for N disks arriving one by one is N times one disk's (each
# event reads its own disk, never a rescan), and the volume appears after
# its last disk. Prints the figures; run bench-hotplug.sh for N = 4 16 32.
. "$VM_LIB"
out=$(bash "$(dirname "$VM_LIB")/bench-hotplug.sh" ${BENCH_SIZES:-2 4 8} 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/       | /'
[ $rc -eq 0 ] && pass "benchmark ran" || fail "benchmark exit $rc"
case "$out" in *"  FAIL"*) fail "the benchmark reported failures" ;; esac
per_disk=""
while read -r _ n lat dr first ev all maxev; do
    n=${n#N=}; dr=${dr#disks_read=}; first=${first#first_event_bytes=}; maxev=${maxev#max_event_bytes=}
    assert_eq "$dr" "$n" "N=$n: every disk read by its own events"
    [ -z "$per_disk" ] && per_disk=$maxev
    assert_eq "$first" "$((n * per_disk))" "N=$n: first-event reads = N x one disk's metadata ($per_disk bytes)"
    assert_eq "$maxev" "$per_disk" "N=$n: no event read more than one disk"
done < <(printf '%s\n' "$out" | grep '^bench ')
[ -n "$per_disk" ] && pass "benchmark printed figures" || fail "no benchmark figures"
