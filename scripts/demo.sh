#!/usr/bin/env bash
# make demo: a throwaway batchd on loopback, a source and three targets
# with fresh keys, folders dropped with the real OpenSSH scp (both
# protocols), and the catalogue's view of each batch. Two of the targets
# serve peers, so a batch both take is relayed: the server sends one copy
# and `watch` shows who got how much from whom.
set -euo pipefail

bin=${1:?usage: demo.sh BIN_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/batchd-demo.XXXXXX")
server_pid=""
receiver_pids=()
cleanup() {
  for pid in "${receiver_pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "keys for a source (alice), three targets (bob, carol, dave) and an admin"
for u in alice bob carol dave admin; do
  ssh-keygen -q -t ed25519 -N '' -C "$u@demo" -f "$work/$u"
done

cat > "$work/batchd.conf" <<CONF
ListenAddress 127.0.0.1:0
StateDirectory $work/state
HostKey $work/ssh_host_ed25519_key
PieceSize 256K
CONF

ctl() { "$bin/batchctl" --state "$work/state" "$@"; }

ctl user add alice --role source --key "$work/alice.pub"
for u in bob carol dave; do ctl user add "$u" --role target --key "$work/$u.pub"; done
ctl user add admin --role admin --key "$work/admin.pub"
ctl topic add ops
ctl topic subscribe ops bob carol dave
ctl user list
ctl topic list

say "starting batchd"
"$bin/batchd" --config "$work/batchd.conf" 2> "$work/batchd.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n '/listening/s/.*address=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/batchd.log" | head -n1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/batchd.log"; echo "batchd did not start"; exit 1; }
grep -m1 'fingerprint' "$work/batchd.log" || true
echo "batchd listens on 127.0.0.1:$port"

say "three subscribers: bob accepts, carol declines, dave accepts and extracts; bob and dave serve peers"
recv() {
  local user=$1; shift
  "$bin/batchd-recv" --server "127.0.0.1:$port" --user "$user" --identity "$work/$user" \
    --inbox "$work/inbox-$user" --accept-new-host-key "$@" 2> "$work/recv-$user.log" &
  receiver_pids+=($!)
}
recv bob --accept auto --listen 127.0.0.1:0
recv carol --accept never
recv dave --accept auto --extract --listen 127.0.0.1:0
for u in bob dave; do
  for _ in $(seq 1 100); do grep -q 'subscribed' "$work/recv-$u.log" && break; sleep 0.1; done
done
sleep 1

ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new
          -o UserKnownHostsFile="$work/known_hosts" -o LogLevel=ERROR)

say "a folder to drop"
mkdir -p "$work/nightly/logs" "$work/nightly/empty"
head -c 3000000 /dev/urandom > "$work/nightly/data.bin"
seq 1 50000 > "$work/nightly/logs/app.log"
: > "$work/nightly/logs/empty.txt"
echo "café ünïcödé" > "$work/nightly/résumé.txt"
find "$work/nightly" -printf '%y %8s %P\n' | sort -k3

say "scp -r nightly alice@127.0.0.1:ops/   (SFTP protocol)"
scp "${ssh_opts[@]}" -P "$port" -i "$work/alice" -r "$work/nightly" alice@127.0.0.1:ops/

say "scp -O report.csv alice@127.0.0.1:@bob,carol/   (legacy scp protocol)"
seq 1 1000 | sed 's/^/row,/' > "$work/report.csv"
scp "${ssh_opts[@]}" -O -P "$port" -i "$work/alice" "$work/report.csv" alice@127.0.0.1:@bob,carol/

say "refused: an unknown topic, and a '..' escape"
scp "${ssh_opts[@]}" -P "$port" -i "$work/alice" "$work/report.csv" alice@127.0.0.1:nosuch/ || echo "(scp exit $?)"
scp "${ssh_opts[@]}" -P "$port" -i "$work/alice" "$work/report.csv" alice@127.0.0.1:ops/../../etc/ || echo "(scp exit $?)"

say "alice watches batch 1: who took it, who declined and why"
ssh "${ssh_opts[@]}" -p "$port" -i "$work/alice" alice@127.0.0.1 watch 1 || echo "(watch exit $?)"

say "alice watches batch 2 (sent to @bob,carol)"
ssh "${ssh_opts[@]}" -p "$port" -i "$work/alice" alice@127.0.0.1 watch 2 || echo "(watch exit $?)"

say "what landed in each inbox"
for u in bob carol dave; do
  echo "--- $u"
  (cd "$work/inbox-$u" && find . -path ./.batchd-recv -prune -o -print | sed 1d | sort)
done

say "alice's own batches: ssh alice@127.0.0.1 batches"
ssh "${ssh_opts[@]}" -p "$port" -i "$work/alice" alice@127.0.0.1 batches

say "the admin, remotely: ssh admin@127.0.0.1 batchctl batch list"
ssh "${ssh_opts[@]}" -p "$port" -i "$work/admin" admin@127.0.0.1 batchctl batch list

say "batchctl stats: batches, bytes, offers, deliveries, relay share, each target"
ctl stats

say "batchctl batch verify: every sealed archive against its recorded hashes"
ctl batch verify

say "batchctl batch show 1 --json"
ctl batch show 1 --json

say "the archive of batch 1, as tar sees it"
archive=$(ctl batch show 1 --json | sed -n 's/.*"archive" *: *"\([^"]*\)".*/\1/p' | head -n1)
tar -tvzf "$archive"
mkdir -p "$work/out" && tar -xzf "$archive" -C "$work/out"
diff -r "$work/nightly" "$work/out/nightly" && echo "extracted tree is byte-identical to the dropped folder"

say "dave's extracted copy of batch 1 equals the dropped folder"
diff -r "$work/nightly" "$work/inbox-dave/1-ops/nightly" && echo "identical"

say "server log"
cat "$work/batchd.log"

say "bob's batchd-recv log"
cat "$work/recv-bob.log"
