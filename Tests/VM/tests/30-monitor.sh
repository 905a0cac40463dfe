# ldmctl monitor with systemd-udevd and ldmctl's rules: the disks of a
# spanned, a RAID-5 and a hostile-named simple volume attached one at a
# time give each event once, in order; a RAID-5 member failed by an
# `error` table is reported as volume-degraded naming it, then recovered;
# --exec gets every field exactly (no shell ever sees a name), a slow,
# failing program does not hold the monitor up; --oneshot exits 0 when
# healthy and 1 when degraded; idle, the monitor uses no CPU.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"

work=$(mktemp -d /run/monitor.XXXXXX)
on_cleanup rm -rf "$work"
rm -f /run/mp
ODD_NAME='Odd $x "q'"'"' ;
$(touch /run/mp)'
mkspec "$work" '{"groups": [{"name": "Mon", "disks": [
   {"name": "M1", "sizeBytes": 16777216}, {"name": "M2", "sizeBytes": 16777216}, {"name": "M3", "sizeBytes": 16777216}],
  "volumes": [
   {"name": "Spanned", "kind": "spanned", "sizeBytes": 2097152, "disks": ["M1", "M2"], "spanBytes": [1048576, 1048576]},
   {"name": "Raid5", "kind": "raid5", "sizeBytes": 2097152, "disks": ["M1", "M2", "M3"]},
   {"name": "Odd $x \"q'"'"' ;\n$(touch /run/mp)", "kind": "simple", "sizeBytes": 1048576, "disks": ["M3"]}]}]}' >/dev/null \
    || { fail "ldm-mkimage spec"; exit 1; }
# Nothing may start degraded while the disks arrive one by one.
hotplug_install 'SUBSYSTEM=="block", ENV{LDMCTL_DEGRADED_TIMEOUT}="600"'

# The --exec program: records each run's LDM_* variables (hex, so every
# byte is kept) in a file of its own. disk-added runs are slow and fail.
mkdir "$work/runs"
cat >"$work/record" <<'PY'
#!/usr/bin/python3
import os, sys, time
env = os.environb
name = os.path.join(env[b"MON_RUNS"], b"%d.%d" % (time.monotonic_ns(), os.getpid()))
with open(name + b".tmp", "wb") as f:
    for k in sorted(env):
        if k.startswith(b"LDM_"):
            f.write(k + b" " + env[k].hex().encode() + b"\n")
os.rename(name + b".tmp", name)
if env.get(b"LDM_EVENT") == b"disk-added":
    time.sleep(3)
    sys.exit(3)
PY
chmod +x "$work/record"

MON_RUNS="$work/runs" "$LDMCTL" monitor --json --exec "$work/record" >"$work/events" 2>"$work/monitor.err" &
mon=$!
on_cleanup "kill $mon"
# Ready once it holds device-mapper's control fd (opened after the udev
# monitor, before the first look).
for i in $(seq 1 300); do
    ls -l /proc/$mon/fd 2>/dev/null | grep -q /dev/mapper/control && break
    sleep 0.1
done
sleep 1
assert_eq "$(wc -l <"$work/events")" 0 "no LDM disk yet: the initial report is empty"

# events_since N: "event name" for JSON lines after line N.
events_since() {
    tail -n +"$(($1 + 1))" "$work/events" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    name = e.get("member") and "member=" + e["member"] or e.get("disk") or e.get("volume") or e["group"]
    print(e["event"], name.replace("\n", "\\n"))'
}
# wait_lines N: until the monitor printed N lines (60 s at most), then a
# moment for any stray extra one.
wait_lines() {
    local i
    for i in $(seq 1 600); do [ "$(wc -l <"$work/events")" -ge "$1" ] && break; sleep 0.1; done
    sleep 1.5
}

seen=0
step() {  # step IMAGE EXPECTED-LINES (newline-separated, in order)
    attach "$work/$1.img" >/dev/null || { fail "attach $1"; return; }
    hotplug_wait
    local want
    want=$(printf '%s\n' "$2" | wc -l)
    wait_lines $((seen + want))
    assert_eq "$(events_since $seen)" "$2" "after $1: these events, once each, in order"
    seen=$(wc -l <"$work/events")
}
ODD_SHOWN='Odd $x "q'"'"' ;\n$(touch /run/mp)'
step Mon-M1 "disk-added M1
group-incomplete Mon"
step Mon-M2 "disk-added M2
volume-activated Spanned"
# The volumes M3 completes come in the group's order; both after the disk.
step Mon-M3 "disk-added M3
group-complete Mon
volume-activated Raid5
volume-activated $ODD_SHOWN"

out=$("$LDMCTL" monitor --oneshot 2>&1); rc=$?
assert_eq "$rc" 0 "--oneshot on a healthy system exits 0"
assert_eq "$(printf '%s\n' "$out" | awk '{print $2}' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
    "disk-added=3 group-complete=1 volume-activated=3 " "--oneshot reports the current state once"
printf '%s\n' "$out" | sed 's/^/       | /'

# --- A RAID-5 member fails: its helper's table becomes `error`, then a read.
m2=$(losetup -j "$work/Mon-M2.img" | cut -d: -f1)
m2nums=" $(cat /sys/block/$(basename $m2)/dev /sys/block/$(basename $m2)/$(basename $m2)p*/dev 2>/dev/null | tr '\n' ' ')"
helper=""
for d in $(dm_names | grep '^ldm_part_Mon_'); do
    dev=$(dmsetup table "$d" | awk '{print $4}')
    case "$m2nums" in *" $dev "*) dmsetup deps "$d" >/dev/null; for h in $(ls /sys/block/$(basename $(readlink -f /dev/mapper/$d))/holders); do
        [ "$(cat /sys/block/$h/dm/name)" = ldm_vol_Mon_Raid5 ] && helper=$d; done ;; esac
done
[ -n "$helper" ] && pass "M2's RAID-5 helper is $helper" || fail "no RAID-5 helper on M2 ($m2nums)"
saved=$(dmsetup table "$helper")
size=$(blockdev --getsz "/dev/mapper/$helper")
dmsetup suspend "$helper" && dmsetup load "$helper" --table "0 $size error" && dmsetup resume "$helper"
dd if=/dev/mapper/ldm_vol_Mon_Raid5 of=/dev/null bs=64k iflag=direct 2>/dev/null
wait_lines $((seen + 1))
assert_eq "$(events_since $seen)" "volume-degraded member=M2" "M2 failed: volume-degraded naming M2, once"
assert_contains "$(dmsetup status ldm_vol_Mon_Raid5)" " ADA " "the kernel marks the member dead"
seen=$(wc -l <"$work/events")

out=$("$LDMCTL" monitor --oneshot --json 2>&1); rc=$?
assert_eq "$rc" 1 "--oneshot on a degraded system exits 1"
assert_contains "$out" '"event":"volume-degraded"' "--oneshot reports the degraded volume"
assert_contains "$out" '"member":"M2","health":"degraded"' "--oneshot names the member"

# --- Restored: the helper's table back, and dm-raid re-adds the member
# when the volume is resumed (it retries failed devices on resume).
dmsetup suspend "$helper" && dmsetup load "$helper" --table "$saved" && dmsetup resume "$helper"
dmsetup suspend ldm_vol_Mon_Raid5 && dmsetup resume ldm_vol_Mon_Raid5
for i in $(seq 1 600); do
    events_since $seen | grep -q '^volume-recovered' && break
    sleep 0.1
done
sleep 2
after=$(events_since $seen)
assert_contains "$after" "volume-recovered Raid5" "restored: volume-recovered"
case "$after" in
    *resync-started*) assert_contains "$after" "resync-finished Raid5" "the resync the kernel ran was reported started and finished" ;;
    *) pass "no resync reported (the kernel reports the member in sync)" ;;
esac
printf '%s\n' "$after" | sed 's/^/       | after restore: /'
seen=$(wc -l <"$work/events")

# --- Idle: nothing changes for a minute; the monitor sleeps in poll().
ticks() { awk '{print $14 + $15}' /proc/$mon/stat; }
t0=$(ticks); sleep 60; t1=$(ticks)
echo "       | idle CPU over 60 s: $((t1 - t0)) ticks of $(getconf CLK_TCK)/s (utime+stime $t0 -> $t1)"
[ $((t1 - t0)) -le 1 ] && pass "idle for 60 s: $((t1 - t0)) clock ticks of CPU" || fail "idle monitor used $((t1 - t0)) ticks in 60 s"
assert_eq "$(wc -l <"$work/events")" "$seen" "idle: no event"

# --- Deactivated and detached: each once.
"$LDMCTL" deactivate --all >/dev/null 2>&1
losetup -d "$(losetup -j "$work/Mon-M1.img" | cut -d: -f1)"
udevadm settle
wait_lines $((seen + 5))
assert_eq "$(events_since $seen | sort | tr '\n' '|')" \
    "disk-removed M1|group-incomplete Mon|volume-deactivated $ODD_SHOWN|volume-deactivated Raid5|volume-deactivated Spanned|" \
    "deactivate, detach M1: each volume deactivated once, M1 removed once"

kill -TERM $mon; wait $mon; rc=$?
assert_eq "$rc" 0 "SIGTERM: the monitor exits 0"
echo "       | --- transcript (ldmctl monitor --json)"
sed 's/^/       | /' "$work/events"

# --- --exec: one run per event, every field exactly, no shell.
total=$(wc -l <"$work/events")
for i in $(seq 1 100); do [ "$(ls "$work/runs" | grep -vc tmp)" -ge "$total" ] && break; sleep 0.1; done
assert_eq "$(ls "$work/runs" | grep -vc tmp)" "$total" "--exec ran once per event"
check=$(python3 - "$work/events" "$work/runs" "$ODD_NAME" <<'PY'
import json, os, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
runs = []
for f in sorted(os.listdir(sys.argv[2]), key=lambda n: int(n.split(".")[0])):
    env = {}
    for line in open(os.path.join(sys.argv[2], f), "rb"):
        k, v = line.split()
        env[k.decode()] = bytes.fromhex(v.decode()).decode("utf-8")
    runs.append(env)
keys = {"event": "LDM_EVENT", "time": "LDM_TIME", "group": "LDM_GROUP", "groupGuid": "LDM_GROUP_GUID",
        "volume": "LDM_VOLUME", "volumeGuid": "LDM_VOLUME_GUID", "disk": "LDM_DISK", "device": "LDM_DEVICE",
        "member": "LDM_MEMBER", "health": "LDM_HEALTH"}
def as_env(e): return {keys[k]: v for k, v in e.items()}
want = sorted(json.dumps(as_env(e), sort_keys=True) for e in events)
got = sorted(json.dumps(r, sort_keys=True) for r in runs)
print("same" if want == got else "differ: %r vs %r" % (want[:3], got[:3]))
odd = [r for r in runs if r.get("LDM_VOLUME") == sys.argv[3]]
print("odd-exact %d" % len(odd))
print("fields " + " ".join(sorted({k for r in runs for k in r})))
PY
)
printf '%s\n' "$check" | sed 's/^/       | /'
assert_contains "$check" "same" "--exec: each run's LDM_* equal the event's JSON fields, byte for byte"
assert_contains "$check" "odd-exact 2" "the hostile volume name arrives exactly (activated, deactivated)"
assert_contains "$check" "fields LDM_DEVICE LDM_DISK LDM_EVENT LDM_GROUP LDM_GROUP_GUID LDM_HEALTH LDM_MEMBER LDM_TIME LDM_VOLUME LDM_VOLUME_GUID" "every field reached the program"
assert_not_exists /run/mp "no shell ran anything from a name"
assert_contains "$(cat "$work/monitor.err")" "exited with status 3" "a failing program is reported on stderr"
sed 's/^/       | stderr: /' "$work/monitor.err" | head -20
