#!/usr/bin/env bash
# need-vulkan.sh: makes sure what `make gpu` (Vulkan) and the GPU tests need is installed: cmake,
# glslc and the Vulkan headers to build the backend, and Mesa's Vulkan drivers (lavapipe, the
# software device "llvmpipe" the tests run on where no GPU is). As root with apt-get it installs
# the missing Debian packages (retrying: CI mirrors fail now and then); otherwise it stops with
# the command to run.
set -euo pipefail
PKGS=(cmake glslc libvulkan-dev mesa-vulkan-drivers)
missing() {
	command -v cmake >/dev/null 2>&1 || echo cmake
	command -v glslc >/dev/null 2>&1 || echo glslc
	[[ -f /usr/include/vulkan/vulkan.hpp ]] || echo libvulkan-dev
	compgen -G '/usr/share/vulkan/icd.d/lvp_icd.*.json' >/dev/null || echo mesa-vulkan-drivers
}
[[ -z "$(missing)" ]] && exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "installing ${PKGS[*]} with apt-get (missing: $(missing | tr '\n' ' '))" >&2
	export DEBIAN_FRONTEND=noninteractive
	for i in 1 2 3; do
		if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null; then break; fi
		echo "apt-get failed (try $i of 3)" >&2
		[[ $i == 3 ]] || sleep 5
	done
	[[ -z "$(missing)" ]] && exit 0
fi
cat >&2 <<MSG
The Vulkan build tools or drivers are missing ($(missing | tr '\n' ' ')). Install them:
    sudo apt-get install ${PKGS[*]}          (Debian, Ubuntu)
MSG
exit 1
