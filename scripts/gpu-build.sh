#!/usr/bin/env bash
# gpu-build.sh: builds a ggml GPU backend library (Vulkan or CUDA) from the pinned Ollama module tree
# (the same ggml that cgo compiles into nashd) and installs it into lib/nashd, where nashd and nash
# load it at run time (ggml_backend_load_all_from_path). Run through `make gpu [GPU=vulkan|cuda]`;
# `scripts/gpu-build.sh --key` (same environment) only prints the cache key.
#
# The build happens in a copy of the module tree (CMakeLists.txt, CMakePresets.json and
# ml/backend/ggml/ggml only) inside a cache directory keyed by the tree version, the backend, the
# cmake flags, the toolchain and the hash of the patch files; the patches in scripts/gpu/patches are
# applied to that copy, never to the read-only module cache. A second run with the same key only
# checks the installed stamp (about a second).
#
# Environment (the Makefile sets the first two):
#   OLLAMA_DIR         the module directory (go list -m -f '{{.Dir}}' github.com/ollama/ollama)
#   OLLAMA_TREE        its path@version, written into the stamp (github.com/ollama/ollama@v0.17.4)
#   GPU                vulkan (default) or cuda
#   NASHD_GPU_CACHE    cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/nashd/gpu-build)
#   GPU_OUT            install directory (default <repo>/lib/nashd)
#   CUDA_ARCHITECTURES overrides the CUDA preset's architectures (e.g. "89;90" or "native")
#   GPU_CMAKE_ARGS     extra cmake arguments (part of the key)
#   GPU_LINK_BASE=1    link the backend against its own libggml-base.so.0 (installed beside it)
#                      instead of leaving ggml's symbols to the executable (see below)
#   JOBS               parallel compile jobs (default nproc)
#
# By default the backend library does not link libggml-base: ggml's symbols stay undefined in it
# and bind, at dlopen time, to the ggml that the loading executable exports (nashd is linked with
# -Wl,--export-dynamic), so the process has a single ggml (one log callback, one registry).
# An executable that does not export ggml cannot load it ("undefined symbol: ggml_...").
set -euo pipefail

die() { echo "gpu-build: $*" >&2; exit 1; }
say() { echo "gpu-build: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f s", b-a}'; }
T0=$(now)

REPO=$(cd "$(dirname "$0")/.." && pwd)
PATCHES="$REPO/scripts/gpu/patches"
GPU=${GPU:-vulkan}
OUT=${GPU_OUT:-$REPO/lib/nashd}
CACHE_ROOT=${NASHD_GPU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nashd/gpu-build}
JOBS=${JOBS:-$(nproc)}

[[ -n "${OLLAMA_DIR:-}" ]] || die "OLLAMA_DIR is not set (run through 'make gpu')"
[[ -f "$OLLAMA_DIR/CMakePresets.json" && -d "$OLLAMA_DIR/ml/backend/ggml/ggml/src" ]] ||
	die "$OLLAMA_DIR is not the Ollama module tree (no CMakePresets.json or ml/backend/ggml/ggml/src)"
TREE=${OLLAMA_TREE:-github.com/ollama/ollama@$(basename "$OLLAMA_DIR" | sed 's/^ollama@//')}

need() { # need CMD HOWTO
	command -v "$1" >/dev/null 2>&1 || die "$1 not found; $2"
}
APT_VULKAN="sudo apt-get install cmake glslc libvulkan-dev mesa-vulkan-drivers   (Debian, Ubuntu)"
need cmake "install it: $APT_VULKAN"
need c++ "install a C++ compiler: sudo apt-get install g++"
need patch "install it: sudo apt-get install patch"

# The backend's preset, target, flags and toolchain identity.
FLAGS=(-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN')
if [[ "${GPU_LINK_BASE:-}" == 1 ]]; then
	LINK_BASE=true
else
	LINK_BASE=false
	FLAGS+=(-DNASHD_BACKEND_UNDEFINED_BASE=ON)
fi
TOOLS="cxx=$(c++ --version | head -n1)"
case "$GPU" in
vulkan)
	need glslc "install it: $APT_VULKAN"
	[[ -f /usr/include/vulkan/vulkan.hpp ]] || pkg-config --exists vulkan 2>/dev/null ||
		die "Vulkan headers not found; install them: $APT_VULKAN"
	PRESET=Vulkan
	TARGET=ggml-vulkan
	# The module's CMakeLists also configures CUDA and HIP where their compilers exist (and fails
	# for CUDA "native" architectures without a GPU): skip them, the Vulkan build needs neither.
	if [[ -n "${CUDACXX:-}" ]] || command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
		FLAGS+=(-DCMAKE_CUDA_COMPILER=OFF)
	fi
	if [[ -n "${HIPCXX:-}" ]] || command -v hipcc >/dev/null 2>&1 || [[ -d /opt/rocm ]]; then
		FLAGS+=(-DCMAKE_HIP_COMPILER=OFF)
	fi
	TOOLS+=";glslc=$(glslc --version 2>&1 | head -n1);vulkan=$(grep -m1 -o 'VK_HEADER_VERSION [0-9]*' /usr/include/vulkan/vulkan_core.h 2>/dev/null || echo '?')"
	;;
cuda)
	NVCC=${CUDACXX:-$(command -v nvcc || true)}
	[[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]] && NVCC=/usr/local/cuda/bin/nvcc
	if [[ -z "$NVCC" || ! -x "$NVCC" ]]; then
		cat >&2 <<'MSG'
gpu-build: nvcc (the CUDA compiler) not found, so the CUDA backend cannot be built here.
Install a CUDA toolkit (12.x or 13.x from https://developer.nvidia.com/cuda-downloads; Debian
non-free's nvidia-cuda-toolkit is 11.8 and also needs CUDAHOSTCXX=g++-11), put nvcc in $PATH or
set CUDACXX=/usr/local/cuda/bin/nvcc, and run: make gpu GPU=cuda
Without CUDA, the Vulkan backend (make gpu) also runs on NVIDIA GPUs.
MSG
		exit 1
	fi
	export CUDACXX=$NVCC
	CUDA_MAJOR=$("$NVCC" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
	case "$CUDA_MAJOR" in
	11 | 12 | 13) PRESET="CUDA $CUDA_MAJOR" ;;
	*) PRESET=CUDA ;; # no architecture list: cmake picks the GPUs of this machine ("native")
	esac
	[[ -n "${CUDA_ARCHITECTURES:-}" ]] && FLAGS+=("-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHITECTURES")
	TARGET=ggml-cuda
	# Skip configuring the other GPU backends (Vulkan's would require glslc).
	FLAGS+=(-DCMAKE_DISABLE_FIND_PACKAGE_Vulkan=ON -DCMAKE_HIP_COMPILER=OFF)
	TOOLS+=";nvcc=$("$NVCC" --version | tail -n1)"
	;;
*) die "unknown GPU=$GPU (vulkan or cuda)" ;;
esac
# shellcheck disable=SC2206 # GPU_CMAKE_ARGS is a list of words on purpose
[[ -n "${GPU_CMAKE_ARGS:-}" ]] && FLAGS+=(${GPU_CMAKE_ARGS})
LIB="lib$TARGET.so"

# The key: tree, backend, preset, flags, toolchain and patches (names and contents).
shopt -s nullglob
PATCH_FILES=("$PATCHES"/*.patch)
shopt -u nullglob
PATCH_SUM=$( (cd "$PATCHES" 2>/dev/null && cat /dev/null "${PATCH_FILES[@]##*/}" | sha256sum && printf '%s\n' "${PATCH_FILES[@]##*/}") | sha256sum | cut -c1-16)
FLAGS_TEXT="--preset $PRESET ${FLAGS[*]}"
KEY_SUM=$(printf '%s\n' "$TREE" "$GPU" "$FLAGS_TEXT" "$TOOLS" "$PATCH_SUM" | sha256sum | cut -c1-16)
KEY="${TREE##*@}-$GPU-$KEY_SUM"
DIR="$CACHE_ROOT/$KEY"
STAMP="$OUT/nashd-gpu.json"
if [[ "${1:-}" == --key ]]; then # print the key (e.g. for a CI cache) and stop
	echo "$KEY"
	exit 0
fi

# Up to date: the installed stamp has this key and every library it lists is there.
installed_ok() {
	[[ -f "$STAMP" ]] && grep -q "\"key\": \"$KEY\"" "$STAMP" || return 1
	local f
	for f in $(sed -n 's/.*"libs": \[\(.*\)\].*/\1/p' "$STAMP" | tr -d '",'); do
		[[ -f "$OUT/$f" ]] || return 1
	done
}
if installed_ok; then
	say "$GPU backend up to date in ${OUT#"$REPO"/} (key $KEY; $(since "$T0"))"
	exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$DIR.lock"
flock -n 9 || {
	say "another build of $KEY is running; waiting"
	flock 9
}

SRC="$DIR/src"
BUILD="$SRC/build" # the presets' binaryDir
if [[ -f "$DIR/.built" ]]; then
	say "cached build $DIR"
else
	if [[ ! -f "$DIR/.prepared" ]]; then
		T=$(now)
		rm -rf "$SRC"
		mkdir -p "$SRC/ml/backend/ggml"
		cp "$OLLAMA_DIR/CMakeLists.txt" "$OLLAMA_DIR/CMakePresets.json" "$SRC/"
		cp -r "$OLLAMA_DIR/ml/backend/ggml/ggml" "$SRC/ml/backend/ggml/"
		chmod -R u+w "$SRC"
		for p in "${PATCH_FILES[@]}"; do
			patch -d "$SRC" -p1 --forward --batch --quiet <"$p" || die "patch ${p#"$REPO"/} does not apply to $TREE"
		done
		touch "$DIR/.prepared"
		say "copied $TREE (ggml) to $SRC, applied ${#PATCH_FILES[@]} patches ($(since "$T"))"
	fi
	T=$(now)
	say "cmake --preset '$PRESET' ${FLAGS[*]}"
	(cd "$SRC" && cmake --preset "$PRESET" "${FLAGS[@]}" >"$DIR/configure.log" 2>&1) ||
		{ tail -n 40 "$DIR/configure.log" >&2; die "cmake configure failed (log: $DIR/configure.log)"; }
	grep -E 'supported by glslc|Vulkan found|CUDA Toolkit found|Using CUDA architectures' "$DIR/configure.log" | sed 's/^-- /gpu-build:   /' || true
	say "configured ($(since "$T")); building $TARGET with $JOBS jobs (cold: minutes)"
	T=$(now)
	cmake --build "$BUILD" --target "$TARGET" -j "$JOBS" >"$DIR/build.log" 2>&1 ||
		{ tail -n 40 "$DIR/build.log" >&2; die "build of $TARGET failed (log: $DIR/build.log)"; }
	[[ -f "$BUILD/lib/ollama/$LIB" ]] || die "build finished without $BUILD/lib/ollama/$LIB"
	touch "$DIR/.built"
	say "built $LIB ($(since "$T"))"
fi

# Prune: keep this build and the most recently used other one of this tree and backend (a cold
# build directory is about 200 MB); a directory whose build is running (locked) is left alone.
touch "$DIR"
n=0
for d in $(ls -dt "$CACHE_ROOT/${TREE##*@}-$GPU-"*/ 2>/dev/null); do
	d=${d%/}
	[[ "$d" == "$DIR" ]] && continue
	n=$((n + 1))
	((n > 1)) || continue
	if (exec 8>"$d.lock" && flock -n 8); then
		rm -rf "$d" "$d.lock"
		say "pruned old cache $d"
	fi
done

# Install: the backend, its own ggml-base when it links one, and for CUDA the toolkit's runtime
# libraries it needs (libcudart, libcublas, libcublasLt; not libcuda, the driver's), found beside
# it through RUNPATH=$ORIGIN. The build tree's backend has that RUNPATH too, so a toolkit outside
# the loader's path is searched in CMake's CUDAToolkit_LIBRARY_DIR.
# One backend per directory: a second backend's libraries (two devices for one GPU) are removed.
needed=$(readelf -d "$BUILD/lib/ollama/$LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
ldd_out=$(ldd "$BUILD/lib/ollama/$LIB" || true)
libdirs=("$BUILD/lib/ollama")
tk=$(sed -n 's/^CUDAToolkit_LIBRARY_DIR:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[[ -n "$tk" ]] && libdirs+=("$tk")
resolve() { # resolve SONAME: its path, from ldd or the directories above
	local p d
	p=$(awk -v s="$1" '$1 == s && $2 == "=>" && $3 ~ /^\// {print $3}' <<<"$ldd_out")
	[[ -n "$p" ]] && { echo "$p"; return; }
	for d in "${libdirs[@]}"; do
		[[ -e "$d/$1" ]] && { echo "$d/$1"; return; }
	done
	return 1
}
if ! $LINK_BASE && grep -q '^libggml-base' <<<"$needed"; then
	die "$LIB links libggml-base although NASHD_BACKEND_UNDEFINED_BASE is on (patch not applied?)"
fi
mkdir -p "$OUT"
rm -f "$OUT"/libggml-*.so "$OUT"/libggml-*.so.* "$OUT"/libcudart.so* "$OUT"/libcublas*.so*
LIBS=("$LIB")
install -m 0755 "$BUILD/lib/ollama/$LIB" "$OUT/$LIB"
for soname in $needed; do
	case "$soname" in
	libggml-base.so* | libcudart.so* | libcublas.so* | libcublasLt.so*)
		path=$(resolve "$soname") || die "$LIB needs $soname, found neither by ldd nor in ${libdirs[*]}"
		install -m 0755 "$(readlink -f "$path")" "$OUT/$soname"
		LIBS+=("$soname")
		;;
	esac
done

libs_json=$(printf '"%s", ' "${LIBS[@]}")
flags_json=$(sed 's/\\/\\\\/g; s/"/\\"/g' <<<"$FLAGS_TEXT")
cat >"$STAMP.tmp" <<JSON
{
  "tree": "$TREE",
  "backend": "$GPU",
  "key": "$KEY",
  "flags": "$flags_json",
  "links_ggml_base": $LINK_BASE,
  "libs": [${libs_json%, }]
}
JSON
mv "$STAMP.tmp" "$STAMP"
for f in "${LIBS[@]}"; do
	say "installed ${OUT#"$REPO"/}/$f ($(du -h "$OUT/$f" | cut -f1))"
done
say "stamp ${STAMP#"$REPO"/}: key $KEY; total $(since "$T0")"
