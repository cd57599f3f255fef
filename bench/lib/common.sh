# bench/lib/common.sh: helpers the benchmarks share; sourced, not run.
# Expects `ctl` (batchctl on the benchmark's state) to be defined before
# the catalogue helpers are called, and `bench_name` for messages.

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# json_fields DEPTH KEY...: reads JSON on stdin and prints, for every object
# at nesting DEPTH (1 is the outermost bracket), the scalar values of KEYs,
# separated by tabs. Enough for batchctl's output; needs only POSIX awk.
json_fields() {
  local at=$1; shift
  awk -v at="$at" -v want="$*" '
    BEGIN { nkeys = split(want, keys, " ") }
    { buf = buf $0 "\n" }
    END {
      len = length(buf); depth = 0; instr = 0; key = ""; last = ""; have = 0
      for (i = 1; i <= len; i++) {
        c = substr(buf, i, 1)
        if (instr) {
          if (c == "\\") { i++; tok = tok substr(buf, i, 1) }
          else if (c == "\"") { instr = 0; last = tok; have = 1 }
          else tok = tok c
          continue
        }
        if (c == "\"") { instr = 1; tok = ""; continue }
        if (c == ":") { if (depth == at) key = last; last = ""; have = 0; continue }
        if (c == "{" || c == "[") { if (depth == at) key = ""; depth++; last = ""; have = 0; continue }
        if (c == "," || c == "}" || c == "]") {
          if (depth == at && key != "" && have) val[key] = last
          key = ""; last = ""; have = 0
          if (c == "}" && depth == at) {
            line = ""
            for (k = 1; k <= nkeys; k++) { line = line (k > 1 ? "\t" : "") val[keys[k]]; delete val[keys[k]] }
            print line
          }
          if (c != ",") depth--
          continue
        }
        if (c ~ /[ \t\r\n]/) continue
        if (!have) { last = "" ; have = 1 }
        last = last c
      }
    }'
}

# batches: one "ID STATE" line per batch in the catalogue.
batches() { ctl batch list --json | json_fields 2 id state; }

# newest_batch: the id of the newest batch, 0 when there is none.
newest_batch() { batches | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }'; }

# wait_sealed AFTER_ID: waits for the batch newer than AFTER_ID to be sealed
# (polling every 20 ms) and prints its id.
wait_sealed() {
  local after=$1 deadline=$((SECONDS + 600)) found
  while [ "$SECONDS" -lt "$deadline" ]; do
    found=$(batches | awk -v after="$after" '$1 > after && $2 != "open" { print $1, $2; exit }')
    if [ -n "$found" ]; then
      case "$found" in
        *" sealed") echo "${found%% *}"; return 0 ;;
        *) echo "$bench_name: batch ${found%% *} ended ${found#* }, not sealed" >&2; return 1 ;;
      esac
    fi
    sleep 0.02
  done
  echo "$bench_name: no batch was sealed within 600 s" >&2
  return 1
}

# wait_sealed_logged AFTER_ID LOG: waits for batchd's log, written by
# start_batchd, to say that a batch newer than AFTER_ID was sealed, and
# prints its id and the line's arrival time (its stamp), separated by a
# space; fails if that batch failed instead. It follows the log
# with one `tail -F` and starts nothing per check, so it takes no CPU from
# the seal being timed: wait_sealed's batchctl every 20 ms costs about a
# fifth of a core, which on two cores slows the seal it waits for.
wait_sealed_logged() {
  local after=$1 log=$2 line id tail_pid follow outcome=""
  exec {follow}< <(exec tail -n +1 -F "$log" 2>/dev/null)
  tail_pid=$!
  while [ -z "$outcome" ] && IFS= read -r -t 600 -u "$follow" line; do
    case "$line" in
      *" batch sealed") outcome=sealed ;;
      *" batch failed") outcome=failed ;;
      *) continue ;;
    esac
    id=${line#* batch=}
    id=${id%% *}
    case "$id" in '' | *[!0-9]*) outcome=""; continue ;; esac
    [ "$id" -gt "$after" ] || outcome=""
  done
  kill "$tail_pid" 2>/dev/null || true
  exec {follow}<&-
  case "$outcome" in
    sealed) echo "$id ${line%% *}" ;;
    failed) echo "$bench_name: batch $id failed: $line" >&2; return 1 ;;
    *) echo "$bench_name: no batch was sealed within 600 s" >&2; return 1 ;;
  esac
}

# stamp: copies stdin to stdout, each line prefixed with the time it was
# read (seconds since the epoch, microseconds). A bash builtin loop, so no
# process is started per line; it adds about 0.1 to 0.4 ms.
stamp() {
  local line
  while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# start_batchd CONF LOG: starts $batchd on CONF (which listens on port 0)
# with its log in LOG, each line timestamped as it arrives (stamp), and
# sets batchd_pid, batchd_stamper and batchd_port. The caller kills both
# processes when it is done.
start_batchd() {
  local conf=$1 log=$2
  rm -f "$log.fifo"
  mkfifo "$log.fifo"
  : > "$log"
  stamp < "$log.fifo" >> "$log" &
  batchd_stamper=$!
  "$batchd" --config "$conf" 2> "$log.fifo" &
  batchd_pid=$!
  batchd_port=""
  for _ in $(seq 1 100); do
    batchd_port=$(sed -n '/listening/s/.*address=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n1)
    [ -n "$batchd_port" ] && return 0
    kill -0 "$batchd_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "$bench_name: batchd did not start" >&2
  exit 1
}
