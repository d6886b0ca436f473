#!/usr/bin/env bash
# Installs the system packages the kernel-backed and differential tests need, when they are missing:
# a C compiler, Linux UAPI headers, libseccomp (C library and Python bindings), libpcap, newuidmap/newgidmap
# (uidmap), strace (its logs are a recording source) and Chromium (the playground's browser tests drive /usr/bin/chromium).
set -euo pipefail
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
[ -f /usr/include/x86_64-linux-gnu/asm/unistd_64.h ] || need+=(linux-libc-dev)
[ -f /usr/include/seccomp.h ] || need+=(libseccomp-dev)
/usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || need+=(python3-seccomp)
[ -f /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
command -v newuidmap >/dev/null 2>&1 || need+=(uidmap)
command -v strace >/dev/null 2>&1 || need+=(strace)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need[*]} and not root; the tests that need them will say so" >&2
    exit 0
  fi
  echo "install-test-deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
