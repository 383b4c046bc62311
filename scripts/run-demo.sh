#!/usr/bin/env bash
# The main job (`make run`): start nashd on a temporary copy of configs/, ask it a question in
# GTAlign mode over its Unix socket (the model writes a payoff matrix, the solver chooses how to
# answer under the pricing), edit the copy's pricing.toml while it runs and ask again, show the
# same selection offline on a fixed matrix under two pricing files (a flip from AQ to DA), then
# a JSON-schema answer, the prisoner's dilemma solved through the daemon, and a clean stop.
# On a fresh machine no model is configured: the built-in tiny test model is generated, and
# its text is gibberish (RANDOM WEIGHTS), but grammar-constrained: the payoff matrix always
# parses and the solver's choice is exact.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin}
CONFIG=${NASHD_CONFIG:-configs}
TINY=models/testdata/gen/tiny.gguf
EXAMPLES=cmd/nash/cli/testdata # the offline example: a matrix and two pricing files
RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/nashd-demo.XXXXXX")
SOCK=$RUNDIR/nashd.sock
CONF=$RUNDIR/configs # the demo edits pricing.toml here, never in $CONFIG
export NASHD_SOCKET=$SOCK
# Learned response lengths go to the run directory, not ~/.local/state.
export XDG_STATE_HOME=$RUNDIR/state

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
TEST_MODEL=
if grep -q "testdata/gen/tiny.gguf" "$CONFIG/models.toml"; then
  TEST_MODEL=1
  if [[ ! -f $TINY ]]; then
    loud "No model file found: generating nashd's built-in TINY TEST MODEL ($TINY)." \
         "It has RANDOM WEIGHTS: its answers are gibberish. The demo shows the daemon," \
         "the socket API, GTAlign's grammar-constrained payoff matrix and the solver's" \
         "choice, not model quality. To use a real model, set [models.NAME] path in" \
         "$CONFIG/models.toml."
    "$BIN/nash" model gen --shape tiny -o "$TINY"
  elif [[ $TINY -ot $BIN/nash ]]; then
    # Made by an older nash, whose tiny shape may differ (a shorter context): remake it (0.6 MB).
    "$BIN/nash" model gen --shape tiny -o "$TINY" >/dev/null
  fi
fi

# The daemon runs on a copy of the config directory. Relative model paths in models.toml are
# relative to the config directory: point them at the original one.
mkdir -p "$CONF"
cp -R "$CONFIG/." "$CONF/"
ABS_CONFIG=$(cd "$CONFIG" && pwd)
sed -i -E "s|^([[:space:]]*path[[:space:]]*=[[:space:]]*\")([^/\"][^\"]*\")|\1$ABS_CONFIG/\2|" "$CONF/models.toml"

NASHD_PID=
cleanup() {
  if [[ -n $NASHD_PID ]] && kill -0 "$NASHD_PID" 2>/dev/null; then
    kill -TERM "$NASHD_PID" 2>/dev/null || true
    wait "$NASHD_PID" 2>/dev/null || true
  fi
  rm -rf "$RUNDIR"
}
trap cleanup EXIT

banner "starting nashd (config: a copy of $CONFIG in $CONF; socket $SOCK)"
"$BIN/nashd" --config "$CONF" --socket "$SOCK" 2> >(sed 's/^/  [nashd] /' >&2) &
NASHD_PID=$!

for _ in $(seq 1 300); do
  [[ -S $SOCK ]] && break
  kill -0 "$NASHD_PID" 2>/dev/null || { echo "run-demo: nashd exited during start-up" >&2; exit 1; }
  sleep 0.1
done
"$BIN/nash" status --wait | grep -v '^         games/'

if "$BIN/nash" models | grep -q -e "test model" -e "testdata/gen/tiny.gguf"; then
  loud "Serving the built-in TEST MODEL (random weights): expect gibberish text." \
       "The blocks, the payoff JSON and the response's form are forced by grammars," \
       "so the matrix always parses; the SOLVER, not the model, picks the strategy."
fi

# The solver's choice and the pricing version in a `nash reason` table.
choice_of() { sed -n "s/^solver's choice: \([A-Za-z0-9_]*\).*/\1/p" <<<"$1"; }
pricing_of() { "$BIN/nash" status | sed -n 's/^pricing: *//p'; }
# The payoff matrix as the model wrote it, from a `nash reason` table.
matrix_of() { awk '/^payoff matrix/{on=1; next} on && /^$/{exit} on' <<<"$1"; }
# The tables, the choices and the answer of a `nash reason` table (no thinking, no passes).
summary() { awk '/^(thinking|analysis in the context|passes):/{skip=1} /^response/{skip=0} !skip' <<<"$1"; }

QUESTION="What is the capital of Australia, and why is it not Sydney?"
banner "nash reason: GTAlign over the socket (POST /v1/reason) under $CONFIG/pricing.toml"
echo "Q: $QUESTION"
echo
BEFORE=$("$BIN/nash" reason --temperature 0 "$QUESTION")
echo "$BEFORE"
CHOICE1=$(choice_of "$BEFORE")
PRICING1=$(pricing_of)

banner "editing pricing.toml while nashd runs: output tokens 20x dearer (1.5 -> 30 per million)"
# Without a pricing.toml nashd applies the defaults configs/pricing.toml documents: start from it.
[[ -f $CONF/pricing.toml ]] || cp configs/pricing.toml "$CONF/pricing.toml"
cp "$CONF/pricing.toml" "$RUNDIR/pricing.toml.orig"
if grep -q '^output_price_per_million[[:space:]]*=' "$CONF/pricing.toml"; then
  sed -i -E 's/^(output_price_per_million[[:space:]]*=[[:space:]]*)[0-9.eE+-]+/\130.0/' "$CONF/pricing.toml"
else # a top-level key goes before the first [table]
  sed -i '1i output_price_per_million = 30.0' "$CONF/pricing.toml"
fi
diff -u "$RUNDIR/pricing.toml.orig" "$CONF/pricing.toml" | sed -n '3,$p' | grep '^[-+]' || true
for _ in $(seq 1 100); do
  PRICING2=$(pricing_of)
  [[ $PRICING2 != "$PRICING1" ]] && break
  sleep 0.1
done
if [[ $PRICING2 == "$PRICING1" ]]; then
  echo "run-demo: nashd did not reload pricing.toml within 10 s" >&2
  exit 1
fi
echo "nashd reloaded it: $PRICING1 -> $PRICING2"
echo "(with learn_lengths, a strategy's expected length is now the average of its answers so far)"

banner "nash reason: the same question under the new prices"
AFTER=$("$BIN/nash" reason --temperature 0 "$QUESTION")
summary "$AFTER"
CHOICE2=$(choice_of "$AFTER")
echo
SAME="the same matrix"
[[ $(matrix_of "$BEFORE") == "$(matrix_of "$AFTER")" ]] || SAME="a different matrix (the model wrote another one)"
if [[ $CHOICE1 != "$CHOICE2" ]]; then
  echo "=> $SAME, new prices: the solver's choice moved from $CHOICE1 to $CHOICE2."
else
  echo "=> $SAME; the solver's choice stays $CHOICE1: on this random model's payoffs the new prices"
  echo "   do not change the winner (the transformed matrix shows how far each cell moved)."
  echo "   The offline example below shows a flip on a fixed matrix."
fi

banner "nash reason --offline: the same selection on a fixed matrix, under two pricing files"
echo "The matrix ($EXAMPLES/gtalign_matrix.json) is what a model could write; no model, no daemon."
echo
CHEAP=$("$BIN/nash" reason --offline --matrix "$EXAMPLES/gtalign_matrix.json" --pricing "$EXAMPLES/gtalign_pricing_cheap.toml")
DEAR=$("$BIN/nash" reason --offline --matrix "$EXAMPLES/gtalign_matrix.json" --pricing "$EXAMPLES/gtalign_pricing_dear.toml")
matrix_of "$CHEAP"
echo
echo "--- $EXAMPLES/gtalign_pricing_cheap.toml: the user pays 1.5 per million output tokens"
sed -n '/^pricing /,$p' <<<"$CHEAP"
echo
echo "--- $EXAMPLES/gtalign_pricing_dear.toml: the user pays 10 per million output tokens"
sed -n '/^pricing /,$p' <<<"$DEAR"
echo
echo "=> cheap tokens: $(choice_of "$CHEAP") (AQ: a brief answer and a follow-up question);" \
     "dear tokens: $(choice_of "$DEAR") (DA: the direct answer costs the user less)."

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
"$BIN/nash" status | grep -v '^         games/'

banner "stopping nashd (SIGTERM: drain, free the model, remove the socket)"
kill -TERM "$NASHD_PID"
wait "$NASHD_PID"
NASHD_PID=
[[ ! -e $SOCK ]] && echo "nashd stopped cleanly; socket removed."
