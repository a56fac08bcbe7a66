# shellcheck shell=bash
# Installs what building and testing x509ssh needs on Debian 12 (sourced by tests/run.sh and
# tests/demo.sh). A machine that already has every package does no network work at all.

X509SSH_PACKAGES=(
	build-essential cmake pkg-config libssl-dev libp11-kit-dev p11-kit
	openssh-server openssh-client python3 python3-asyncssh python3-openssl
	softhsm2 opensc gnutls-bin mandoc valgrind cppcheck clang-format clang
	openssl tmux procps time libclang-rt-14-dev
	rsync git sshfs fuse3 ansible-core pssh jq strace
	swtpm tpm2-abrmd libtss2-tcti-tabrmd0 libtpm2-pkcs11-1 libtpm2-pkcs11-tools dbus
)

# x509ssh_missing_packages: print the packages of X509SSH_PACKAGES that are not installed.
x509ssh_missing_packages() {
	local p
	for p in "${X509SSH_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			printf '%s\n' "$p"
		fi
	done
}

# x509ssh_install_deps: install the missing packages (apt-get update only when needed).
x509ssh_install_deps() {
	local -a missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "install: not a Debian system (no dpkg-query); install these yourself: ${X509SSH_PACKAGES[*]}" >&2
		return 1
	fi
	mapfile -t missing < <(x509ssh_missing_packages)
	if ((${#missing[@]} == 0)); then
		echo "install: all ${#X509SSH_PACKAGES[@]} packages present"
		return 0
	fi
	if [[ "$(id -u)" != 0 ]]; then
		echo "install: missing packages (${missing[*]}) and not root; run as root or install them" >&2
		return 1
	fi
	echo "install: installing ${missing[*]}"
	apt-get update -q || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || return 1
	mapfile -t missing < <(x509ssh_missing_packages)
	if ((${#missing[@]} > 0)); then
		echo "install: still missing after apt-get: ${missing[*]}" >&2
		return 1
	fi
}

# x509ssh_build DIR [cmake option ...]: configure (if needed) and build into DIR.
x509ssh_build() {
	local dir=$1
	shift
	local src
	src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
	cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" || return 1
	# Keep going past a broken target so every target that can be built is (the tests of the
	# parts that do build still run); the step fails all the same.
	local -a keep=()
	if [[ -f "$dir/build.ninja" ]]; then
		keep=(-- -k 0)
	elif [[ -f "$dir/Makefile" ]]; then
		keep=(-- -k)
	fi
	cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" "${keep[@]}" || return 1
}
