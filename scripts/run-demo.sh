#!/usr/bin/env bash
# The main job (`make run`): start nashd on configs/, ask it a game-theoretic question over its
# Unix socket, solve the prisoner's dilemma through it, and stop it cleanly.
# On a fresh machine no model is configured: the built-in tiny test model is generated, and
# its answers are gibberish (RANDOM WEIGHTS) but grammar-constrained to valid JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin}
CONFIG=${NASHD_CONFIG:-configs}
TINY=models/testdata/gen/tiny.gguf
RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/nashd-demo.XXXXXX")
SOCK=$RUNDIR/nashd.sock
export NASHD_SOCKET=$SOCK

for b in nashd nash; do
  [[ -x $BIN/$b ]] || { echo "run-demo: $BIN/$b missing (run 'make build')" >&2; exit 1; }
done

banner() { printf '\n==== %s ====\n' "$*"; }
loud() {
  printf '\n%s\n' "########################################################################"
  printf '# %s\n' "$@"
  printf '%s\n\n' "########################################################################"
}

# The shipped models.toml serves $TINY; generate it when it is missing.
if grep -q "testdata/gen/tiny.gguf" "$CONFIG/models.toml" && [[ ! -f $TINY ]]; then
  loud "No model file found: generating nashd's built-in TINY TEST MODEL ($TINY)." \
       "It has RANDOM WEIGHTS: its answers are gibberish. The demo shows the daemon," \
       "the socket API, grammar-constrained JSON and the solver, not model quality." \
       "To use a real model, set [models.NAME] path in $CONFIG/models.toml."
  "$BIN/nash" model gen --shape tiny -o "$TINY"
fi

NASHD_PID=
cleanup() {
  if [[ -n $NASHD_PID ]] && kill -0 "$NASHD_PID" 2>/dev/null; then
    kill -TERM "$NASHD_PID" 2>/dev/null || true
    wait "$NASHD_PID" 2>/dev/null || true
  fi
  rm -rf "$RUNDIR"
}
trap cleanup EXIT

banner "starting nashd (config $CONFIG, socket $SOCK)"
"$BIN/nashd" --config "$CONFIG" --socket "$SOCK" 2> >(sed 's/^/  [nashd] /' >&2) &
NASHD_PID=$!

for _ in $(seq 1 300); do
  [[ -S $SOCK ]] && break
  kill -0 "$NASHD_PID" 2>/dev/null || { echo "run-demo: nashd exited during start-up" >&2; exit 1; }
  sleep 0.1
done
"$BIN/nash" status --wait

if "$BIN/nash" models | grep -q -e "test model" -e "testdata/gen/tiny.gguf"; then
  loud "Serving the built-in TEST MODEL (random weights): expect gibberish text," \
       "but the JSON below is forced to match the schema by a grammar."
fi

banner "nash chat: a game-theoretic question, answer constrained to a JSON schema"
SCHEMA='{"type":"object","properties":{"action":{"type":"string","enum":["cooperate","defect"]},"reason":{"type":"string","maxLength":80}},"required":["action","reason"]}'
QUESTION="You are Alice in a one-shot prisoner's dilemma. Payoffs (Alice, Bob): both cooperate (3,3); you cooperate and Bob defects (0,5); you defect and Bob cooperates (5,0); both defect (1,1). Which action do you choose, and why?"
echo "Q: $QUESTION"
ANSWER=$("$BIN/nash" chat --schema "$SCHEMA" --max-tokens 160 --temperature 0.7 --seed 42 --no-stream "$QUESTION")
echo "A: $ANSWER"
case "$ANSWER" in
  *'"action": "cooperate"'*|*'"action":"cooperate"'*) echo "   (grammar-constrained JSON; action = cooperate)" ;;
  *'"action": "defect"'*|*'"action":"defect"'*) echo "   (grammar-constrained JSON; action = defect)" ;;
  *) echo "   (answer printed above)" ;;
esac

banner "nash solve prisoner_dilemma --remote: the solver, through the daemon (POST /v1/games/solve)"
"$BIN/nash" solve prisoner_dilemma --remote

banner "nash status"
"$BIN/nash" status

banner "stopping nashd (SIGTERM: drain, free the model, remove the socket)"
kill -TERM "$NASHD_PID"
wait "$NASHD_PID"
NASHD_PID=
[[ ! -e $SOCK ]] && echo "nashd stopped cleanly; socket removed."
