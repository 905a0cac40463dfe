# Shared by the 2x-hotplug VM tests; source after lib.sh:
#   . "$VM_LIB"; . "$(dirname "$VM_LIB")/hotplug-lib.sh"
# Installs ldmctl's udev rules into /run/udev/rules.d (the guest's /etc is
# the host's, read-only) with @LDMCTL@ pointing at the binary under test,
# and undoes everything at exit.

HOTPLUG_RULES=/run/udev/rules.d
HOTPLUG_STATE=/run/ldmctl

# hotplug_install [RULE-LINE]: RULE-LINE goes into an extra rules file that
# sorts first (e.g. to set LDMCTL_DEGRADED_TIMEOUT for the helper).
hotplug_install() {
    mkdir -p "$HOTPLUG_RULES"
    rm -rf "$HOTPLUG_STATE"
    local f
    for f in "$REPO"/udev/*.rules; do
        sed "s|@LDMCTL@|$LDMCTL|g" "$f" >"$HOTPLUG_RULES/$(basename "$f")"
    done
    printf '%s\n' "${1:-# no extra rule}" >"$HOTPLUG_RULES/00-ldmctl-test.rules"
    udevadm control --reload
    on_cleanup hotplug_uninstall
}

hotplug_uninstall() {
    rm -f "$HOTPLUG_RULES"/*ldmctl*.rules
    udevadm control --reload
    # Degraded-start sleepers the helper started in this test.
    local t pid
    for t in "$HOTPLUG_STATE"/timers/*; do
        [ -f "$t" ] || continue
        pid=$(sed -n 's/^sleeper //p' "$t")
        [ "${pid:-0}" -gt 1 ] && kill "$pid" 2>/dev/null
    done
    udevadm settle
    # Kept with the results for a post-mortem (the records are small).
    [ -n "${VM_RESULTS:-}" ] && cp -r "$HOTPLUG_STATE" "$VM_RESULTS/$TEST_NAME.ldmctl" 2>/dev/null
    rm -rf "$HOTPLUG_STATE"
}

# Waits until udev is idle and no activation the helper started is pending.
# udevadm settle, again if udevd did not answer (right after udevd was
# restarted with new rules it may drop the connection: "Broken pipe").
settle() {
    local i
    for i in 1 2 3 4 5; do
        udevadm settle -t 120 2>/dev/null && return 0
        sleep 0.5
    done
    udevadm settle -t 120
}

hotplug_wait() {
    settle
    local i
    for i in $(seq 1 600); do
        grep -qs '^state queued' "$HOTPLUG_STATE"/volumes/* || break
        sleep 0.1
    done
    settle
}

# The LDM volumes device-mapper has (top devices), sorted, one line.
active_volumes() { dm_names | grep '^ldm_vol_' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

# count_log PATTERN: lines of the helper's log matching PATTERN (grep -E).
count_log() { grep -cE -- "$1" "$HOTPLUG_STATE/log" 2>/dev/null || true; }

# mkspec DIR JSON: writes the images of a spec (no content) into DIR and
# prints their paths.
mkspec() {
    printf '%s\n' "$2" >"$1/spec.json"
    "$MKIMAGE" spec "$1/spec.json" "$1" --no-content
}

# devnum LOOP: MAJ:MIN
devnum() { cat "/sys/block/$(basename "$1")/dev"; }

# Prints the helper's log into the test's log.
hotplug_show_log() {
    echo "       | --- /run/ldmctl/log"
    sed 's/^/       | /' "$HOTPLUG_STATE/log" 2>/dev/null | tail -n "${1:-60}"
}
