# Shell test library for the VM tests. Source it first thing in a test:
#   . "$VM_LIB"
# It counts assertions, records the result for the runner, and on exit
# removes the device-mapper devices and loop devices the test made.
# Runs inside the guest, as root, with the env set up by guest.sh.

set -u

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
TEST_PASS=0
TEST_FAIL=0
TEST_SKIP=""
_CLEANUP_LOOPS=()
_CLEANUP_CMDS=()

_say() { printf '%s\n' "$*"; }

pass() { TEST_PASS=$((TEST_PASS + 1)); _say "  ok   - $*"; }
fail() { TEST_FAIL=$((TEST_FAIL + 1)); _say "  FAIL - $*"; }

# skip REASON: ends the test without failing it.
skip() { TEST_SKIP="$*"; _say "  skip - $*"; exit 0; }

# assert_eq ACTUAL EXPECTED DESCRIPTION
assert_eq() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3 (got '$1', expected '$2')"; fi
}

# assert_contains HAYSTACK NEEDLE DESCRIPTION
assert_contains() {
    case "$1" in
        *"$2"*) pass "$3" ;;
        *) fail "$3 ('$2' not in: $(printf '%s' "$1" | head -c 400))" ;;
    esac
}

# assert_ok DESCRIPTION -- COMMAND...: passes if the command exits 0.
# Its output goes to the log either way.
assert_ok() {
    local desc=$1; shift; [ "${1:-}" = "--" ] && shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       | /'
    if [ $rc -eq 0 ]; then pass "$desc"; else fail "$desc (exit $rc: $*)"; fi
    return 0
}

# assert_fails DESCRIPTION -- COMMAND...: passes if the command exits non-zero.
assert_fails() {
    local desc=$1; shift; [ "${1:-}" = "--" ] && shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/       | /'
    if [ $rc -ne 0 ]; then pass "$desc"; else fail "$desc (unexpectedly succeeded: $*)"; fi
    return 0
}

# assert_exists PATH DESCRIPTION
assert_exists() {
    if [ -e "$1" ]; then pass "$2"; else fail "$2 ($1 missing)"; fi
}

assert_not_exists() {
    if [ ! -e "$1" ]; then pass "$2"; else fail "$2 ($1 exists)"; fi
}

# on_cleanup COMMAND...: run at exit, newest first.
on_cleanup() { _CLEANUP_CMDS+=("$*"); }

# attach IMAGE [losetup options...]: prints the loop device; detached at exit.
# Read-only unless "-w" is given first.
attach() {
    local image=$1; shift
    local ro=(-r)
    if [ "${1:-}" = "-w" ]; then ro=(); shift; fi
    local dev
    dev=$(losetup -f --show -P "${ro[@]}" "$@" "$image") || return 1
    _CLEANUP_LOOPS+=("$dev")
    printf '%s\n' "$dev"
}

# attach_set PREFIX...: attaches the real images whose names start with
# ldm-2003r2-PREFIX (e.g. "mirrored" or "raid5-1"), prints the loops.
attach_set() {
    local p f
    for p in "$@"; do
        for f in "$LDM_IMAGES"/ldm-2003r2-"$p"*.img; do attach "$f" || return 1; done
    done
}

# The dm devices present (names), one per line.
dm_names() { dmsetup ls 2>/dev/null | awk '$1 != "No" {print $1}'; }

_cleanup() {
    local rc=$?
    set +e
    local i
    for ((i = ${#_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do eval "${_CLEANUP_CMDS[$i]}" >/dev/null 2>&1; done
    # Anything the test left in device-mapper is a leak: report and remove.
    local left
    left=$(dm_names)
    if [ -n "$left" ]; then
        fail "test left device-mapper devices behind: $(echo $left)"
        # Remove stacked devices before the ones they use: retry a few rounds.
        for i in 1 2 3 4 5; do
            for d in $(dm_names); do dmsetup remove --retry "$d" >/dev/null 2>&1; done
            [ -z "$(dm_names)" ] && break
        done
    fi
    udevadm settle >/dev/null 2>&1
    for ((i = ${#_CLEANUP_LOOPS[@]} - 1; i >= 0; i--)); do losetup -d "${_CLEANUP_LOOPS[$i]}" >/dev/null 2>&1; done
    if [ $rc -ne 0 ] && [ $TEST_FAIL -eq 0 ]; then
        fail "test script exited with status $rc"
    fi
    if [ -n "${VM_RESULTS:-}" ]; then
        printf 'pass %d fail %d skip %s\n' "$TEST_PASS" "$TEST_FAIL" "${TEST_SKIP:-}" \
            > "$VM_RESULTS/$TEST_NAME.result"
    fi
    _say "  -- $TEST_NAME: $TEST_PASS passed, $TEST_FAIL failed${TEST_SKIP:+ (skipped: $TEST_SKIP)}"
    [ $TEST_FAIL -eq 0 ]
}
trap _cleanup EXIT

# written_sample: writes ldm-mkimage's sample set into a fresh directory
# ($work/a) and attaches the five disks of its MBR group: sets `work`, `G`
# (the group name) and the array `mbr` (loop devices, Disk1..Disk5).
written_sample() {
    work=$(mktemp -d /run/written.XXXXXX)
    on_cleanup rm -rf "$work"
    "$MKIMAGE" sample "$work/a" >/dev/null || { fail "ldm-mkimage sample"; return 1; }
    G=LdmctlSample
    mbr=()
    local i
    for i in 1 2 3 4 5; do mbr+=("$(attach "$work/a/$G-Disk$i.img")"); done
    udevadm settle
}

# known GROUP VOLUME DEVICE: the device holds the volume's known contents
# (what ldm-mkimage wrote).
known() {
    assert_eq "$(sha256sum <"$3" | cut -d' ' -f1)" \
        "$("$MKIMAGE" digest "$1" "$2" "$(blockdev --getsz "$3")")" "$1/$2 via $(basename "$3"): known contents"
}
