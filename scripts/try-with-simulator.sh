#!/usr/bin/env bash
# Runs Loa against its built-in Telegram Bot API simulator, with no Telegram token:
# starts `loa sim`, starts `loa serve` against it on a throw-away database, plays a cell
# secretary who sends /start, /help and /lang en, prints what Loa answered, and stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --locked
bin=target/debug/loa
work=$(mktemp -d)
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${sim_pid:-}" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The simulator, on a free port; its first line says where.
"$bin" sim --listen 127.0.0.1:0 >"$work/sim.out" &
sim_pid=$!
for _ in $(seq 50); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(head -n1 "$work/sim.out" | awk '{print $NF}')
token=$(sed -n 's/.*with token \(.*\)$/\1/p' "$work/sim.out")
echo "simulator: $url"

# 2. Loa, pointed at it.
LOA_TELEGRAM__API_URL="$url" LOA_TELEGRAM__TOKEN="$token" LOA_DATABASE__URL="sqlite://$work/loa.db" \
  RUST_LOG=info "$bin" serve 2>"$work/serve.log" &
serve_pid=$!

post() { curl -fsS -X POST "$url$1" -H 'content-type: application/json' -d "$2"; }
# 3. A cell secretary opens the bot and asks for help.
user=$(post /_sim/users '{"first_name":"Lan","last_name":"Nguyễn"}' | sed 's/.*"result":\([0-9]*\).*/\1/')
sleep 1
for text in /start /help "/lang en" /help; do
  post "/_sim/chats/$user/messages" "{\"from\":$user,\"text\":\"$text\"}" >/dev/null
  sleep 1.2
done

# 4. What Loa answered, as the user's chat shows it.
curl -fsS "$url/_sim/chats/$user/messages" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["result"]:
    who = "Loa" if m["from_bot"] else "Lan"
    text = m["json"].get("text", "")
    print(f"--- {who}:\n{text}\n")
'
echo "--- the end of Loa's log:"
tail -n 3 "$work/serve.log"
