# Sourced by the guest scripts: start_udevd makes sure exactly one
# systemd-udevd runs, started by us.
#
# virtme-ng's init may already have started one. A second daemon unlinks
# and rebinds /run/udev/control, so the first keeps running unreachable:
# both then process every uevent, run every rule twice (ldmctl's udev
# helper included), and answer every device-mapper cookie twice with
# `dmsetup udevcomplete`. A cookie shared by several devices then reaches
# zero after half of its events, before udev has made the last /dev/mapper
# links. One daemon is what every real system has.
start_udevd() {
    local pid i
    for pid in $(pgrep -x systemd-udevd); do kill "$pid"; done
    for i in $(seq 50); do pgrep -x systemd-udevd >/dev/null || break; sleep 0.1; done
    rm -f /run/udev/control
    /lib/systemd/systemd-udevd --daemon || { echo "guest: udevd failed to start"; return 1; }
    udevadm settle
}
