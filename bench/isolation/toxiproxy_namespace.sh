#!/usr/bin/env bash
# Prototype (docs/isolation.md): Toxiproxy's admin API inside a rootless network namespace,
# reachable by its owner only, through a 0600 Unix socket in a 0700 folder.
# Run as root: it makes two throwaway users, measures, and removes everything it made.
#   bench/isolation/toxiproxy_namespace.sh [PORT]
set -euo pipefail
port=${1:-17202}
owner=chaoslab-ns-owner
other=chaoslab-ns-other
dir=$(mktemp -d /tmp/h-iso-ns.XXXX)
python=/usr/bin/python3  # stdlib only; the venv's may sit under a home other users cannot enter
toxiproxy=${TOXIPROXY:-$(command -v toxiproxy-server || echo /var/cache/chaoslab/tools/bin/toxiproxy-server)}
cleanup() {
  # By id: the forwarder (the namespace's shell, exec'd) and Toxiproxy, which it started.
  for pid in $(cat "$dir"/*.pid 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  userdel "$owner" 2>/dev/null || true
  userdel "$other" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
useradd --system --no-create-home "$owner"
useradd --system --no-create-home "$other"
chown "$owner" "$dir"
chmod 0700 "$dir"
chmod 0711 "$(dirname "$dir")" 2>/dev/null || true
# The owner, unprivileged: a user+net namespace, loopback up, Toxiproxy inside, and a Unix-socket
# forwarder (the stand-in for the lab's own) from $dir/toxiproxy.sock to the admin port.
runuser -u "$owner" -- setsid unshare --user --map-root-user --net sh -c "
  ip link set lo up
  $toxiproxy -host 127.0.0.1 -port $port >/dev/null 2>&1 &
  echo \$! >$dir/toxiproxy.pid
  echo \$\$ >$dir/forwarder.pid
  exec $python -c '
import os, socket, sys, threading
path, port = sys.argv[1], int(sys.argv[2])
server = socket.socket(socket.AF_UNIX)
os.umask(0o077)
server.bind(path)
server.listen()
def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    b.close()
while True:
    client, _ = server.accept()
    upstream = socket.create_connection((\"127.0.0.1\", port))
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
' $dir/toxiproxy.sock $port
" &
for _ in $(seq 50); do [ -S "$dir/toxiproxy.sock" ] && break; sleep 0.1; done
sleep 0.5
check() {  # what, expected, command...
  local what=$1 expected=$2
  shift 2
  if out=$("$@" 2>&1); then got=reached; else got=refused; fi
  printf '%-62s %-8s (expected %s) %s\n' "$what" "$got" "$expected" "$(echo "$out" | head -c 80 | tr '\n' ' ')"
  [ "$got" = "$expected" ]
}
fail=0
check "other user, TCP 127.0.0.1:$port (host namespace)" refused \
  runuser -u "$other" -- curl -sS -m 2 "http://127.0.0.1:$port/version" || fail=1
check "root, TCP 127.0.0.1:$port (host namespace)" refused curl -sS -m 2 "http://127.0.0.1:$port/version" || fail=1
check "other user, the Unix socket" refused \
  runuser -u "$other" -- curl -sS -m 2 --unix-socket "$dir/toxiproxy.sock" http://toxiproxy/version || fail=1
check "owner, the Unix socket" reached \
  runuser -u "$owner" -- curl -sS -m 2 --unix-socket "$dir/toxiproxy.sock" http://toxiproxy/version || fail=1
exit $fail
