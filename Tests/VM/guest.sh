#!/bin/bash
# Runs inside the VM (see ./run): prepares the guest, then runs each test
# script in its own bash with a time limit, writing logs and results to
# $VM_RESULTS (the shared --rwdir).
set -u
export VM_RESULTS=$1
HERE=$(cd "$(dirname "$0")" && pwd)
export VM_LIB="$HERE/lib.sh"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# Passed by the host through a file, since vng's --exec gets no environment.
. "$VM_RESULTS/env.sh"

exec >"$VM_RESULTS/guest.log" 2>&1
echo "guest: kernel $(uname -r), $(nproc) cpus"

modprobe -a dm-mod dm-raid dm-mirror raid456 loop || echo "guest: modprobe failed"
# udev, so /dev/mapper links and the dm cookie handshake work as on a host:
# one daemon, as on a host (see udevd.sh).
. "$HERE/udevd.sh"
start_udevd

# The real images, extracted once onto guest tmpfs (sparse: ~25 MiB used).
export LDM_IMAGES=/run/ldm-images
mkdir -p "$LDM_IMAGES"
if [ -f "$LDM_IMAGES_TAR" ]; then
    tar -xSJf "$LDM_IMAGES_TAR" -C "$LDM_IMAGES" || echo "guest: cannot extract $LDM_IMAGES_TAR"
else
    echo "guest: no images at $LDM_IMAGES_TAR"
fi

suite_start=$(date +%s)
for test in "$HERE"/tests/*.sh; do
    name=$(basename "$test" .sh)
    case "$name" in ${VM_FILTER:-*}) ;; *) continue ;; esac
    # Stop starting tests before the host's timeout kills the VM, so the
    # report says which ones did not run instead of losing everything.
    if [ $(( $(date +%s) - suite_start )) -ge "${VM_BUDGET:-960}" ]; then
        echo "pass 0 fail 1 skip " >"$VM_RESULTS/$name.result"
        echo "  FAIL - $name not started: the run's time budget (${VM_BUDGET:-960} s) is used up" >"$VM_RESULTS/$name.log"
        continue
    fi
    echo "guest: running $name"
    start=$(date +%s)
    TEST_NAME=$name timeout --signal=TERM --kill-after=10 "${VM_TEST_TIMEOUT:-300}" \
        bash "$test" >"$VM_RESULTS/$name.log" 2>&1
    rc=$?
    echo "$(( $(date +%s) - start ))" >"$VM_RESULTS/$name.seconds"
    echo "guest: $name exit $rc after $(( $(date +%s) - start )) s"
    if [ ! -f "$VM_RESULTS/$name.result" ]; then
        # Killed by the timeout (or never sourced lib.sh).
        echo "pass 0 fail 1 skip " >"$VM_RESULTS/$name.result"
        echo "  FAIL - $name did not finish (exit $rc)" >>"$VM_RESULTS/$name.log"
    fi
    # Nothing may leak into the next test.
    dmsetup remove_all >/dev/null 2>&1
    losetup -D >/dev/null 2>&1
done
echo done >"$VM_RESULTS/guest.done"
