# The Debian packages bpframe needs to build and test, in one list shared by
# tools/check and tools/demo, and bp_install_deps, which installs those
# missing. Sourced by those scripts, not run; it sets no shell options.
# shellcheck shell=bash

BP_DEPS=(
  meson
  ninja-build
  pkg-config
  gcc
  libglib2.0-dev
  libyaml-dev
  libopenblas-dev
  gcovr
  dataset-fashion-mnist # configs/fashion-mnist.yaml; test-idx's real data
)

# Succeeds when dpkg lists the package as installed (for any architecture).
bp_dep_installed() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null)" \
    || return 1
  grep -qx installed <<<"$status"
}

# Prints the packages of BP_DEPS that are not installed, one a line.
bp_missing_deps() {
  local pkg
  for pkg in "${BP_DEPS[@]}"; do
    bp_dep_installed "$pkg" || printf '%s\n' "$pkg"
  done
}

# Installs the missing packages of BP_DEPS with apt-get; runs apt-get update
# only when something is missing. Returns 1, naming the packages, when some
# are missing and this is not root, or when apt-get fails.
bp_install_deps() {
  local missing=()

  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "note: no dpkg-query here; make sure these are installed:" \
      "${BP_DEPS[*]}" >&2
    return 0
  fi

  mapfile -t missing < <(bp_missing_deps)
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  if ((EUID != 0)); then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install ${missing[*]}" >&2
    return 1
  fi

  echo "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" \
    || return 1
}
