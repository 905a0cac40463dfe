#!/bin/bash
# Runs inside the systemd VM as ldmtest.service (after multi-user.target),
# writes "ok - ..." / "FAIL - ..." lines to /var/lib/ldmtest/results; the
# unit powers the VM off when this ends. Kind "boot": the boot checks only;
# "all": then hotplug and the degraded-start timer.
set -u
OUT=/var/lib/ldmtest
R=$OUT/results
mkdir -p $OUT; : >$R
D=/usr/local/lib/ldmtest
KIND=$(cat $D/kind)
{ read -r GROUP; read -r BYNAME; read -r UUID; } <$D/expect
ok() { echo "ok - $*" >>$R; }
fail() { echo "FAIL - $*" >>$R; }
check() { # DESCRIPTION -- COMMAND...
    local d=$1; shift; [ "$1" = -- ] && shift
    if "$@" >/dev/null 2>&1; then ok "$d"; else fail "$d"; fi
}
eq() { if [ "$1" = "$2" ]; then ok "$3"; else fail "$3 (got '$1', expected '$2')"; fi; }
mono() { systemctl show -P "$2" "$1"; }
# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() { local t=$1 i; shift; for i in $(seq 1 $((t * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
udev_timeouts() { journalctl -b -o cat -u systemd-udevd.service | grep -Ei 'timeout|timed out|taking a long time|kill' ; }

# --- Boot -----------------------------------------------------------------
systemd-analyze >$OUT/analyze 2>&1
systemd-analyze critical-chain multi-user.target >>$OUT/analyze 2>&1
eq "$(systemctl show -P Result ldmctl-activate.service)/$(systemctl is-active ldmctl-activate.service)" "success/active" \
    "boot unit ldmctl-activate.service finished successfully"
a=$(mono ldmctl-activate.service ActiveEnterTimestampMonotonic); l=$(mono local-fs-pre.target ActiveEnterTimestampMonotonic)
if [ "${a:-0}" -gt 0 ] && [ "${l:-0}" -ge "$a" ]; then ok "boot unit done ($((a / 1000)) ms) before local-fs-pre.target ($((l / 1000)) ms)"
else fail "boot unit at '$a' us, local-fs-pre.target at '$l' us"; fi
links=$(cd /dev/ldm 2>/dev/null && ls -d */* | sort)
eq "$(printf '%s\n' "$links" | grep -c .)" 6 "six LDM volumes of the real disks are up"
eq "$(sort /run/ldmtest/early-links 2>/dev/null)" "$links" "all of them were up before local-fs-pre.target"
for m in byname byuuid; do
    src=$(findmnt -n -o SOURCE /mnt/$m)
    if [ -n "$src" ] && [ "$(cat /mnt/$m/test.txt 2>/dev/null)" = "Filesystem test" ]; then ok "fstab mount /mnt/$m ($src) mounted, test.txt reads"
    else fail "fstab mount /mnt/$m: source '$src', $(systemctl status mnt-$m.mount 2>&1 | tail -n 3 | tr '\n' ' ')"; fi
done
eq "$(readlink -f /dev/ldm/$GROUP/$BYNAME)" "$(readlink -f "$(findmnt -n -o SOURCE /mnt/byname)")" "/mnt/byname is the volume /dev/ldm/$GROUP/$BYNAME"
target=$(readlink -f /dev/disk/by-uuid/$UUID)
eq "$(udevadm info -q property -n "$target" 2>/dev/null | grep -c '^DM_UUID=LDM-')" 1 "/dev/disk/by-uuid/$UUID ($target) is an LDM volume"
eq "$(udev_timeouts)" "" "no udev worker timeout in the journal"
eq "$(journalctl -b -o cat | grep -E 'Timed out waiting for device|Dependency failed' )" "" "no device timeout, no failed dependency"
eq "$(systemctl list-units --failed --plain --no-legend | grep -v ldmtest)" "" "no failed unit"

if [ "$KIND" = all ]; then
    # --- Hotplug: a disk attached while the system runs -----------------------
    losetup -f -P -r /srv/ldmtest/Hot-H1.img
    check "hotplug: /dev/ldm/Hot/Simple appears" -- wait_for 60 test -e /dev/ldm/Hot/Simple
    unit=$(journalctl -b -o cat | grep 'Hot/Simple: all disks present; activating (' | grep -o 'ldmctl-activate-LDM-[A-Za-z0-9-]*\.service' | head -n 1)
    if [ -n "$unit" ] && journalctl -b -o cat -u "$unit" | grep -q 'activated Hot/Simple'; then ok "hotplug: activated in transient unit $unit"
    else fail "hotplug: no transient unit activated Hot/Simple ('$unit')"; fi

    # --- Degraded start through a systemd timer ---------------------------------
    losetup -f -P -r /srv/ldmtest/Deg-D1.img
    check "degraded: a last-resort timer is armed" -- wait_for 20 sh -c 'systemctl list-timers --all --plain --no-legend | grep -q ldmctl-last-resort-'
    t0=$(date +%s)
    check "degraded: Deg/Mirror starts degraded when the timer fires" -- wait_for 60 test -e /dev/ldm/Deg/Mirror
    waited=$(( $(date +%s) - t0 ))
    eq "$(udevadm info -q property /dev/ldm/Deg/Mirror 2>/dev/null | grep -c '^LDM_DEGRADED=1')" 1 "degraded: LDM_DEGRADED=1 (after ${waited} s)"
    # ... and a timer cancelled when the last member arrives in time.
    timers() { systemctl list-timers --all --plain --no-legend | grep -o 'ldmctl-last-resort-[A-Za-z0-9-]*\.timer'; }
    check "degraded: the fired timer is gone" -- wait_for 30 sh -c '! systemctl list-timers --all --plain --no-legend | grep -q ldmctl-last-resort-'
    losetup -f -P -r /srv/ldmtest/Can-C1.img
    check "cancel: a last-resort timer is armed for Can" -- wait_for 20 sh -c 'systemctl list-timers --all --plain --no-legend | grep -q ldmctl-last-resort-'
    timer=$(timers | head -n 1)
    losetup -f -P -r /srv/ldmtest/Can-C2.img
    check "cancel: Can/Mirror starts complete" -- wait_for 30 test -e /dev/ldm/Can/Mirror
    eq "$(udevadm info -q property /dev/ldm/Can/Mirror 2>/dev/null | grep -c '^LDM_DEGRADED=1')" 0 "cancel: not degraded"
    check "cancel: the timer $timer is gone" -- wait_for 10 sh -c "! systemctl is-active -q '$timer'"
    sleep 12
    eq "$(grep -c 'Can/Mirror: missing disks did not appear' /run/ldmctl/log)" 0 "cancel: no degraded start after the timeout"
    eq "$(udev_timeouts)" "" "no udev worker timeout in the journal after hotplug"
fi

cp /run/ldmctl/log $OUT/ldmctl.log 2>/dev/null
journalctl -b -o short-monotonic >$OUT/journal.txt 2>/dev/null
sync
