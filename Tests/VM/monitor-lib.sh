# `ldmctl monitor --json` in the VM tests; source after lib.sh:
#   . "$(dirname "$VM_LIB")/monitor-lib.sh"

# monitor_start FILE: runs `ldmctl monitor --json` with its events in FILE
# (stderr in FILE.err) and returns once it watches (it holds
# device-mapper's control fd, opened after the udev monitor and before its
# first look); stopped at exit. Sets MON_PID.
monitor_start() {
    "$LDMCTL" monitor --json >"$1" 2>"$1.err" &
    MON_PID=$!
    on_cleanup "kill $MON_PID"
    local i
    for i in $(seq 1 300); do
        ls -l /proc/$MON_PID/fd 2>/dev/null | grep -q /dev/mapper/control && return 0
        sleep 0.1
    done
    fail "the monitor did not start: $(cat "$1.err")"
}

# monitor_events FILE [FROM]: the JSON lines after line FROM (default 0)
# as "event field=value ...", with the fields that name things (volume,
# disk, member, device) in that order, newlines in names as \n. Exits 1
# on a line that is not a JSON object with event, time, group, groupGuid.
monitor_events() {
    tail -n +"$((${2:-0} + 1))" "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if not all(e.get(k) for k in ("event", "time", "group", "groupGuid")):
        sys.exit("incomplete event: " + line)
    out = [e["event"]] + ["%s=%s" % (k, e[k]) for k in ("volume", "disk", "member", "device") if k in e]
    print(" ".join(out).replace("\n", "\\n"))'
}

# monitor_check FILE FROM EXPECTED [TRANSIENT]: the events after line
# FROM are EXPECTED (lines as monitor_events prints them), each once; the
# first EXPECTED line comes first and the rest in any order (the monitor
# may look while the hotplug helper is half-way through, and a volume's
# events may then fall into two looks). TRANSIENT lines may appear once
# each ("volume-failed volume=V": the volume was mapped for a moment with
# its disk gone), but only before V's deactivation. Prints "ok", else
# what differs; then the events seen, one per line, for the log.
monitor_check() {
    monitor_events "$1" "$2" | python3 -c '
import sys
want, transient = sys.argv[1].split("\n"), [l for l in sys.argv[2].split("\n") if l]
got = [l.rstrip("\n") for l in sys.stdin]
problems = []
if not got or got[0] != want[0]: problems.append("first is not " + repr(want[0]))
rest = list(got)
for w in want:
    if w in rest: rest.remove(w)
    else: problems.append("missing " + repr(w))
for t in transient:
    if t in rest:
        rest.remove(t)
        v = t.split("volume=", 1)[-1]
        if "volume-deactivated volume=" + v in got and got.index(t) > got.index("volume-deactivated volume=" + v):
            problems.append("after the deactivation: " + repr(t))
problems += ["unexpected " + repr(l) for l in rest]
print("ok" if not problems else "; ".join(problems) + " | events: " + " | ".join(got))
for l in got: print("       | " + l)' "$3" "${4:-}"
}

# monitor_wait FILE N: until FILE has N lines (30 s at most), then a
# moment for a stray extra one. Counted by bash itself: under emulation
# each process started costs a good part of a second.
monitor_wait() {
    local end=$((SECONDS + 30)) n line
    while :; do
        n=0
        while IFS= read -r line; do n=$((n + 1)); done <"$1"
        [ $n -ge "$2" ] || [ $SECONDS -ge $end ] && break
        sleep 0.2
    done
    sleep 1.5
}

