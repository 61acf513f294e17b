#!/bin/bash
# Install everything sovguard needs to build, run and test, from Debian's
# packages only. Idempotent: a second run changes nothing.
#
# Kernel 6.12, libbpf 1.4 and bpftool 7.5 come from bookworm-backports,
# which this script adds as an apt source when it is missing.
set -euo pipefail

BACKPORTS=/etc/apt/sources.list.d/sovguard-bookworm-backports.sources

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$BACKPORTS" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	stamp=
else
	stamp=$(find /var/lib/apt/lists -maxdepth 1 -name '*bookworm-backports*Packages*' \
		-mmin -720 2>/dev/null | head -n1)
fi
[ -n "$stamp" ] || apt-get update -qq

# Build and runtime of daemon and CLI.
PKGS=(
	build-essential pkg-config clang llvm lld
	libelf-dev zlib1g-dev
	libnl-3-dev libnl-genl-3-dev libnl-utils
	libsystemd-dev libjson-c-dev
	libloc-dev libloc-database libmaxminddb-dev
	location openssl libssl-dev
	libclang-rt-14-dev
	iproute2 kmod util-linux procps jq
	cppcheck sparse nftables
)
# Packaging, manual pages, completion (make deb, make man, make lint).
PKGS+=(
	debhelper dh-dkms dkms dpkg-dev lintian
	scdoc mandoc man-db groff-base bash-completion
)
# Module builds and the VM harness.
PKGS+=(
	linux-headers-cloud-amd64
	qemu-system-x86 qemu-system-common qemu-utils
	busybox-static cpio lz4 xz-utils zstd
	linux-source-6.1
)
# Newer BPF toolchain and 6.12 headers from backports.
BPO=(
	libbpf-dev bpftool
	"linux-headers-6.12.*-cloud-amd64"
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Backports: the newest 6.12 cloud headers and libbpf/bpftool.
hdr=$(apt-cache depends -t bookworm-backports linux-headers-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-headers-6.12/ {print $2; exit}')
want=(libbpf-dev bpftool libbpf1)
[ -n "$hdr" ] && want+=("$hdr")
need=()
for p in "${want[@]}"; do
	v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
	case "$v" in *bpo12*) ;; *) need+=("$p") ;; esac
done
if [ ${#need[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends -t bookworm-backports "${need[@]}"
fi

echo "install-deps: all dependencies present"
