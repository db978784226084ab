#!/usr/bin/env bash
# Installs the Debian 12 packages Drover builds, tests and runs with.
# Skips apt-get entirely when everything is already installed.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git ca-certificates
  libhwloc-dev hwloc
  libopenmpi-dev openmpi-bin libpmix-dev
  libboost-program-options-dev libboost-dev
  libpqxx-dev postgresql-15 postgresql-client-15
  libsqlite3-dev sqlite3
  prometheus-cpp-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libjemalloc-dev libssl-dev openssl
  clang-14 libclang-rt-14-dev
  zlib1g-dev procps curl python3 iproute2
  prometheus
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
# Packages that ship a service (prometheus) must not start it: it would
# listen on every interface. policy-rc.d 101 tells invoke-rc.d not to.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  guard=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ -z "$guard" ] || $SUDO rm -f /usr/sbin/policy-rc.d
