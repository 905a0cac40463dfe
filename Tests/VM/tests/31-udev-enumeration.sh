# Without DEVICE arguments the disks come from udev's database (libudev):
# on the real Windows disks it finds exactly what the sysfs scan finds, and
# it skips a disk udev marks not ready (SYSTEMD_READY=0), which only the
# udev path can know: proof that libudev, not sysfs, was asked.
. "$VM_LIB"

[ -n "$(ls "$LDM_IMAGES"/*.img 2>/dev/null)" ] || { fail "real images not available"; exit 1; }
work=$(mktemp -d /run/enum.XXXXXX)
on_cleanup rm -rf "$work"
cat >"$work/spec.json" <<'EOF_SPEC'
{"groups": [{"name": "Hidden", "disks": [{"name": "H1", "sizeBytes": 16777216}],
  "volumes": [{"name": "Simple", "kind": "simple", "sizeBytes": 1048576, "disks": ["H1"]}]}]}
EOF_SPEC
"$MKIMAGE" spec "$work/spec.json" "$work" --no-content >/dev/null || { fail "ldm-mkimage spec"; exit 1; }
mv "$work/Hidden-H1.img" "$work/notready.img"

rules=/run/udev/rules.d/00-ldmctl-test-notready.rules
mkdir -p /run/udev/rules.d
echo 'SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", ATTR{loop/backing_file}=="*notready*", ENV{SYSTEMD_READY}="0"' >"$rules"
on_cleanup "rm -f $rules; udevadm control --reload"
udevadm control --reload

loops=$(for f in "$LDM_IMAGES"/*.img; do attach "$f"; done)
hidden=$(attach "$work/notready.img")
udevadm settle
assert_contains "$(udevadm info -q property "$hidden")" "SYSTEMD_READY=0" "the test rule marks $(basename "$hidden") not ready"

via_udev=$("$LDMCTL" show --json 2>&1)
via_sysfs=$(LDMCTL_DISKS_FROM=sysfs "$LDMCTL" show --json 2>&1)
assert_contains "$via_sysfs" '"Hidden"' "sysfs finds the not-ready disk's group"
case "$via_udev" in *'"Hidden"'*) fail "udev enumeration used a disk udev marks not ready" ;;
    *) pass "udev enumeration skips the disk udev marks not ready" ;; esac
n=$(printf '%s\n' "$via_udev" | grep -c '"/dev/loop')
[ "$n" -ge 10 ] && pass "udev enumeration finds the real disks ($n device paths)" || fail "only $n device paths via udev"

# Once udev no longer marks it, both find the same disks, byte for byte.
rm -f "$rules"; udevadm control --reload
udevadm trigger --settle --action=change "$hidden"
via_udev=$("$LDMCTL" show --json 2>&1)
via_sysfs=$(LDMCTL_DISKS_FROM=sysfs "$LDMCTL" show --json 2>&1)
assert_eq "$via_udev" "$via_sysfs" "show --json: udev and sysfs enumeration agree on the real images"
assert_eq "$("$LDMCTL" scan 2>&1)" "$(LDMCTL_DISKS_FROM=sysfs "$LDMCTL" scan 2>&1)" "scan: udev and sysfs agree"
"$LDMCTL" scan 2>&1 | sed 's/^/       | /'
