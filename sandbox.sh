#!/usr/bin/env bash
# Runs kindling's init as PID 1 in a throwaway sandbox — a new PID and mount namespace with
# private tmpfs on /run and /var/log — with the job files of a directory, for a few seconds,
# then shows what happened: `initctl list` at the end, init's own log and every job's
# console log.
#
#   ./sandbox.sh [JOB-DIR] [SECONDS]      (defaults: jobs/examples, 10)
#
# Needs root (for the namespaces). Nothing touches this machine's own init, /run or logs:
# init's log (/dev/kmsg) and console are files of the sandbox, and when the time is up the
# namespace's init is killed, which ends every process inside it.
set -euo pipefail
cd "$(dirname "$0")"
jobs="$(realpath "${1:-jobs/examples}")"
seconds="${2:-10}"

if [ "$(id -u)" != 0 ]; then
    echo "sandbox.sh: needs root for the PID and mount namespaces" >&2
    exit 1
fi
cargo build --release --bin init --bin initctl
init="$(realpath target/release/init)"
initctl="$(realpath target/release/initctl)"
# The sandbox's init listens here (the default abstract socket would be this machine's).

box="$(mktemp -d "${TMPDIR:-/tmp}/kindling-sandbox.XXXXXX")"
sandbox=
# However this script ends (done, Ctrl-C, a timeout's TERM), the sandbox ends with it; and
# if it is killed outright, setpriv's --pdeathsig below takes unshare (and so init) along.
end_sandbox() {
    if [ -n "$sandbox" ]; then
        kill -KILL "$sandbox" 2>/dev/null || true
        wait "$sandbox" 2>/dev/null || true
        sandbox=
    fi
}
trap 'end_sandbox; rm -rf "$box"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
mkdir -p "$box/conf" "$box/log"
cp -r "$jobs"/. "$box/conf/"
touch "$box/kmsg" "$box/console"
# The sandbox's init listens here (the default abstract socket is shared with this machine).
export KINDLING_SOCKET="$box/control.sock"

echo "==> init as PID 1 in a sandbox for ${seconds} s, jobs from $jobs"
setpriv --pdeathsig KILL unshare --pid --fork --kill-child --mount --mount-proc sh -c '
    mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log &&
    mount --bind "$0/kmsg" /dev/kmsg && mount --bind "$0/console" /dev/console &&
    exec "$1" --confdir "$0/conf" --logdir "$0/log" --verbose' "$box" "$init" &
sandbox=$!
# In the background, so that a signal's trap runs at once, not when the sleep is over.
sleep "$seconds" &
wait $!
echo "==> initctl list (through the sandbox's control socket)"
"$initctl" list || true
# --kill-child: when unshare dies, the namespace's init is killed, and with it every job.
end_sandbox

echo "==> init's log"
sed 's/^<[0-9]>//' "$box/kmsg"
for log in "$box"/log/*.log; do
    [ -e "$log" ] || continue
    echo "==> job log $(basename "$log")"
    cat "$log"
done
