#!/usr/bin/env bash
# check.sh: checks the GPU backend that `make gpu` installed, outside nashd. It compiles ggml's
# base and registry sources from the pinned tree into a small C program (scripts/gpu/check.c),
# linked with -rdynamic like nashd, loads the library with ggml_backend_load, lists its devices
# and multiplies two matrices on each, comparing with a C loop. Run through `make gpu-check`.
#
# Environment: OLLAMA_DIR (the module directory; the Makefile sets it), GPU_OUT (default
# <repo>/lib/nashd), NASHD_GPU_CACHE (where the program is compiled). For Mesa's software device
# (llvmpipe) set GGML_VK_VISIBLE_DEVICES=0; ggml-vulkan skips CPU-type devices otherwise.
set -euo pipefail
die() { echo "gpu-check: $*" >&2; exit 1; }

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${GPU_OUT:-$REPO/lib/nashd}
CACHE_ROOT=${NASHD_GPU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nashd/gpu-build}
[[ -n "${OLLAMA_DIR:-}" ]] || die "OLLAMA_DIR is not set (run through 'make gpu-check')"
STAMP="$OUT/nashd-gpu.json"
[[ -f "$STAMP" ]] || die "no $STAMP: run 'make gpu' first"
BACKEND=$(sed -n 's/.*"backend": "\([a-z]*\)".*/\1/p' "$STAMP")
LIB="$OUT/libggml-$BACKEND.so"
[[ -f "$LIB" ]] || die "$LIB missing: run 'make gpu' again"

SRC="$OLLAMA_DIR/ml/backend/ggml/ggml/src"
BIN="$CACHE_ROOT/check-$(basename "$OLLAMA_DIR")"
OBJ="$BIN.obj"
# ggml's objects depend only on the tree (the directory name has its version); check.o on check.c.
FLAGS=(-O2 -fPIC -DNDEBUG -DGGML_VERSION=0x0 -DGGML_COMMIT=0x0 -I"$SRC" -I"$SRC/../include")
GGML_C=(ggml.c ggml-alloc.c ggml-quants.c)
GGML_CXX=(ggml.cpp ggml-backend.cpp ggml-opt.cpp ggml-threading.cpp gguf.cpp ggml-backend-reg.cpp
	mem_hip.cpp mem_nvml.cpp mem_dxgi_pdh.cpp)
mkdir -p "$OBJ"
objs=() pids=()
for f in "${GGML_C[@]}" "${GGML_CXX[@]}"; do
	objs+=("$OBJ/$f.o")
	[[ -f "$OBJ/$f.o" ]] && continue
	echo "gpu-check: compiling $f"
	case "$f" in
	*.c) cc -std=gnu11 "${FLAGS[@]}" -c "$SRC/$f" -o "$OBJ/$f.o.tmp" && mv "$OBJ/$f.o.tmp" "$OBJ/$f.o" & ;;
	*) c++ -std=gnu++17 "${FLAGS[@]}" -c "$SRC/$f" -o "$OBJ/$f.o.tmp" && mv "$OBJ/$f.o.tmp" "$OBJ/$f.o" & ;;
	esac
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "compiling ggml failed"; done
if [[ ! -x "$BIN" || "$REPO/scripts/gpu/check.c" -nt "$BIN" || ${#pids[@]} -gt 0 ]]; then
	cc -std=gnu11 "${FLAGS[@]}" -c "$REPO/scripts/gpu/check.c" -o "$OBJ/check.o"
	# -rdynamic: export ggml's symbols, which the backend library leaves undefined (as nashd does).
	c++ -rdynamic -o "$BIN" "$OBJ/check.o" "${objs[@]}" -ldl -lpthread -lm
fi
echo "gpu-check: $BIN $LIB"
"$BIN" "$LIB"
