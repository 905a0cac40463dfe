# ldmctl monitor with systemd-udevd and ldmctl's rules: the disks of a
# spanned, a RAID-5 and a hostile-named simple volume attached one at a
# time give each event once, in order; a RAID-5 started without a member
# is reported as volume-degraded naming it, then rebuilt and recovered;
# --exec gets every field exactly (no shell ever sees a name), a slow,
# failing program does not hold the monitor up; --oneshot exits 0 when
# healthy and 1 when degraded; idle, the monitor uses no CPU.
. "$VM_LIB"
. "$(dirname "$VM_LIB")/hotplug-lib.sh"
. "$(dirname "$VM_LIB")/monitor-lib.sh"

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
# wait_lines N: until the monitor printed N lines (30 s at most), then a
# moment for any stray extra one.
wait_lines() { monitor_wait "$work/events" "$1"; }

# deactivate_all WHAT: takes every volume down. The udev rules may
# activate a volume again meanwhile (closing a member partition a volume
# held for writing makes udev send a change event for it): then it is
# taken down again. Checks that every volume's events alternate, starting
# with volume-deactivated, and that each is reported down in the end.
deactivate_all() {
    local i
    for i in 1 2 3 4 5; do
        "$LDMCTL" deactivate --all >/dev/null 2>&1
        hotplug_wait
        [ -z "$(active_volumes)" ] && break
    done
    wait_lines $((seen + 3))
    local verdict
    verdict=$(events_since $seen | python3 -c '
import sys
state, bad = {}, []
for line in sys.stdin:
    kind, name = line.rstrip("\n").split(" ", 1)
    if kind not in ("volume-activated", "volume-deactivated"):
        bad.append(line.strip()); continue
    up = kind == "volume-activated"
    if state.get(name, True) == up: bad.append("twice: " + line.strip())
    state[name] = up
print("down %d, up %s, unexpected %s" % (sum(1 for v in state.values() if not v), sorted(k for k, v in state.items() if v), bad))')
    assert_eq "$verdict" "down 3, up [], unexpected []" "$1: each volume's events alternate and end deactivated"
    local again
    again=$(events_since $seen | grep -c '^volume-activated' || true)
    [ "$again" -gt 0 ] && echo "       | $1: the udev rules activated a volume again $again time(s) meanwhile"
    seen=$(wc -l <"$work/events")
}

seen=0
step() {  # step IMAGE EXPECTED-LINES (newline-separated, in order)
    attach "$work/$1.img" -w >/dev/null || { fail "attach $1"; return; }
    hotplug_wait
    local want
    want=$(printf '%s\n' "$2" | wc -l)
    wait_lines $((seen + want))
    # Volumes activated by one disk come in the order their activations end.
    local got
    got=$(events_since $seen | { read -r a; read -r b; printf '%s\n%s\n' "$a" "$b"; sort; } | sed '/^$/d')
    want=$(printf '%s\n' "$2" | { read -r a; read -r b; printf '%s\n%s\n' "$a" "$b"; sort; } | sed '/^$/d')
    assert_eq "$got" "$want" "after $1: these events, once each, the disk's first"
    seen=$(wc -l <"$work/events")
}
ODD_SHOWN='Odd $x "q'"'"' ;\n$(touch /run/mp)'
step Mon-M1 "disk-added M1
group-incomplete Mon"
step Mon-M2 "disk-added M2
volume-activated Spanned"
step Mon-M3 "disk-added M3
group-complete Mon
volume-activated Raid5
volume-activated $ODD_SHOWN"

out=$("$LDMCTL" monitor --oneshot 2>&1); rc=$?
assert_eq "$rc" 0 "--oneshot on a healthy system exits 0"
assert_eq "$(printf '%s\n' "$out" | awk '{print $2}' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
    "disk-added=3 group-complete=1 volume-activated=3 " "--oneshot reports the current state once"
printf '%s\n' "$out" | sed 's/^/       | /'

# --- A RAID-5 member goes: M2 detached (after its volumes are taken
# down), the RAID-5 started degraded without it; the kernel's table has no
# device in M2's slot and its health character is `-`.
deactivate_all "deactivate --all"
losetup -d "$(losetup -j "$work/Mon-M2.img" | cut -d: -f1)"
udevadm settle
wait_lines $((seen + 2))
assert_eq "$(events_since $seen)" "disk-removed M2
group-incomplete Mon" "M2 detached: disk-removed, then group-incomplete"
seen=$(wc -l <"$work/events")
# Without DEVICE arguments: the disks come from udev's database.
"$LDMCTL" activate --all >/dev/null 2>&1
wait_lines $((seen + 3))
assert_eq "$(events_since $seen | sort | tr '\n' '|')" \
    "volume-activated $ODD_SHOWN|volume-activated Raid5|volume-degraded member=M2|" \
    "RAID-5 started without M2: activated, and volume-degraded naming M2"
assert_contains "$(tail -n +$((seen + 1)) "$work/events" | grep volume-degraded)" '"volume":"Raid5"' "the degraded volume is Raid5"
assert_contains "$(dmsetup status ldm_vol_Mon_Raid5)" " A-A " "the kernel has no device in M2's slot"
seen=$(wc -l <"$work/events")

out=$("$LDMCTL" monitor --oneshot --json 2>&1); rc=$?
assert_eq "$rc" 1 "--oneshot on a degraded system exits 1"
assert_contains "$out" '"event":"volume-degraded"' "--oneshot reports the degraded volume"
assert_contains "$out" '"member":"M2","health":"degraded"' "--oneshot names the member"

# --- M2 comes back: reported; the spanned volume it completes is
# activated by the udev rules; the RAID-5 stays degraded (a late member is
# never added behind the user's back).
attach "$work/Mon-M2.img" -w >/dev/null
hotplug_wait
wait_lines $((seen + 3))
assert_eq "$(events_since $seen)" "disk-added M2
group-complete Mon
volume-activated Spanned" "M2 back: disk-added, group-complete, the spanned volume activated"
seen=$(wc -l <"$work/events")

# --- M2 rebuilt into the running RAID-5, as a repair would: M2's helper
# device as ldmctl plans it, and the raid table reloaded with M2 in its
# slot and `rebuild 1` (recovery throttled, so that it takes a few
# seconds). The monitor follows the kernel's status: the member is `a`
# while it is rebuilt (still degraded, naming M2), then `A`.
helper=$("$LDMCTL" table --concise --volume Raid5 | tr ';' '\n' | grep '^ldm_part_Mon_M2-')
IFS=, read -r hname huuid _ _ htable <<<"$helper"
assert_ok "M2's helper device created as ldmctl plans it" -- dmsetup create "$hname" -u "$huuid" --table "$htable"
read -r -a f <<<"$(dmsetup table ldm_vol_Mon_Raid5)"
assert_eq "${f[*]:3:9}" "raid5_ls 2 ${f[5]} nosync 3 - ${f[9]} - -" "the degraded RAID-5 table has no device in slot 1"
m2=$(dmsetup info -c --noheadings -o major,minor "$hname" | tr -d ' ')
rebuild="0 ${f[1]} raid raid5_ls 7 ${f[5]} rebuild 1 min_recovery_rate 64 max_recovery_rate 128 3 - ${f[9]} - $m2 - ${f[13]}"
assert_ok "the RAID-5 reloaded with M2 and rebuild 1" -- dmsetup reload ldm_vol_Mon_Raid5 --table "$rebuild"
assert_ok "resumed" -- dmsetup resume ldm_vol_Mon_Raid5
statuses=""
for i in $(seq 1 300); do
    st=$(dmsetup status ldm_vol_Mon_Raid5 | cut -d" " -f6-8)
    case "$statuses" in *"$st"*) ;; *) statuses+="$st|" ;; esac
    case "$st" in "AAA "*idle) break ;; esac
    sleep 0.2
done
echo "       | kernel status seen (health, ratio, action): $statuses"
dmesg | tail -n 12 | sed 's/^/       | dmesg: /'
assert_contains "$statuses" "AAA 2048/2048 idle" "the kernel rebuilt M2: AAA, in sync"
wait_lines $((seen + 3))
assert_eq "$(events_since $seen | tr '\n' '|')" "resync-started Raid5|volume-recovered Raid5|resync-finished Raid5|" \
    "rebuild: resync-started, then volume-recovered and resync-finished, once each"
seen=$(wc -l <"$work/events")

# --- Idle: nothing changes; the monitor sleeps in poll() (20 s here to
# keep the suite short; MONITOR_IDLE_SECONDS=60 for the minute).
idle=${MONITOR_IDLE_SECONDS:-20}
ticks() { awk '{print $14 + $15}' /proc/$mon/stat; }
t0=$(ticks); sleep "$idle"; t1=$(ticks)
echo "       | idle CPU over $idle s: $((t1 - t0)) ticks of 1/$(getconf CLK_TCK) s (utime+stime $t0 -> $t1)"
[ $((t1 - t0)) -le 1 ] && pass "idle for $idle s: $((t1 - t0)) clock ticks of CPU" || fail "idle monitor used $((t1 - t0)) ticks in $idle s"
assert_eq "$(wc -l <"$work/events")" "$seen" "idle: no event"

# --- Everything taken down.
deactivate_all "deactivate --all at the end"

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
assert_contains "$check" "odd-exact 4" "the hostile volume name arrives exactly (activated and deactivated twice)"
assert_contains "$check" "fields LDM_DEVICE LDM_DISK LDM_EVENT LDM_GROUP LDM_GROUP_GUID LDM_HEALTH LDM_MEMBER LDM_TIME LDM_VOLUME LDM_VOLUME_GUID" "every field reached the program"
assert_not_exists /run/mp "no shell ran anything from a name"
assert_contains "$(cat "$work/monitor.err")" "exited with status 3" "a failing program is reported on stderr"
sed 's/^/       | stderr: /' "$work/monitor.err" | head -20
