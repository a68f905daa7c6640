#!/usr/bin/env bash
# The installed-prefix test of tools/plugin-template: installs bpframe into
# a temporary prefix, builds a copy of the template against that install
# alone, runs its tests, installs softplus into the prefix's plugindir, and
# has the installed bpframe list it and train the template's example graph.
# tools/check runs it and counts it as one test; it exits 0 on success and
# 1 naming the step that failed (with the end of that step's log). It
# removes everything it made, whatever happens.
#
# Why --prefix and not `meson install --destdir`: a staged install is not
# meant to run. The installed bpframe looks for plugins in the plugin
# folder compiled into libbpframe (prefix/libdir/bpframe/plugins), which a
# stage would not hold; and PKG_CONFIG_SYSROOT_DIR, which would make
# pkg-config point into the stage, prefixes every package's paths, so the
# template would look for glib's headers in the stage too. A temporary
# prefix puts every file where it was configured to live.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bpframe-template-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

prefix="$tmp/prefix"
log="$tmp/step.log"

say() {
  printf 'template-test: %s\n' "$*"
}

fail() {
  say "FAILED: $*" >&2
  exit 1
}

# Fails, showing the end of the last step's output.
fail_with_log() {
  say "FAILED: $*" >&2
  say "the end of its output:" >&2
  tail -n 40 "$log" >&2
  exit 1
}

# Runs a command with its output in the step's log; on failure, fails
# with the step's name and the end of that log.
step() {
  local name="$1"
  shift
  say "$name"
  "$@" >"$log" 2>&1 || fail_with_log "$name"
}

# Nothing from the caller's environment may point elsewhere: no plugin
# folders, no other pkg-config files first.
unset BPFRAME_PLUGIN_PATH PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# bpframe itself, without tests or coverage (this build is not the one
# whose coverage tools/check measures), at -O0 for a quick compile.
step "configuring bpframe into $prefix" \
  meson setup "$tmp/bpframe-build" "$ROOT" --prefix="$prefix" \
  --buildtype=debug -Dtests=false -Db_coverage=false
step "compiling bpframe" ninja -C "$tmp/bpframe-build"
step "installing bpframe" meson install -C "$tmp/bpframe-build"

pc="$(find "$prefix" -name bpframe.pc -print -quit)"
[[ -n "$pc" ]] || fail "no bpframe.pc was installed under $prefix"
export PKG_CONFIG_PATH="${pc%/*}"
found="$(pkg-config --variable=pcfiledir bpframe)"
[[ "$found" == "$PKG_CONFIG_PATH" ]] \
  || fail "pkg-config finds bpframe.pc in $found, not in $PKG_CONFIG_PATH"
plugindir="$(pkg-config --variable=plugindir bpframe)"
[[ -d "$plugindir" && -f "$plugindir/affine.so" ]] \
  || fail "bpframe.pc's plugindir $plugindir holds no standard plugin"

# A copy of the template, as a plugin author starts, so that nothing can
# reach into bpframe's source tree by a relative path.
cp -R "$ROOT/tools/plugin-template" "$tmp/template"
step "configuring the template against $prefix alone" \
  meson setup "$tmp/template-build" "$tmp/template" --buildtype=debug
step "compiling the template" ninja -C "$tmp/template-build"
step "running the template's tests" \
  meson test -C "$tmp/template-build" --print-errorlogs
step "installing softplus into $plugindir" \
  meson install -C "$tmp/template-build"
[[ -f "$plugindir/softplus.so" ]] \
  || fail "meson install put no softplus.so into $plugindir"

bpframe="$prefix/bin/bpframe"
cd "$tmp"

# The installed bpframe searches its plugin folder alone, and finds
# softplus there with no setting.
step "listing the installed plugins" "$bpframe" plugins
out="$(cat "$log")"
search="search path (a name in two folders is taken from the first):
  $plugindir
"
[[ "$out" == "$search"* ]] \
  || fail_with_log "bpframe plugins does not search $plugindir alone"
grep -qx "softplus: layer, plugin ABI [0-9]*" "$log" \
  || fail_with_log "bpframe plugins does not list softplus"
grep -qFx "  file: $plugindir/softplus.so" "$log" \
  || fail_with_log "bpframe plugins does not list $plugindir/softplus.so"

# By name, as a user would after installing: the installed one is found.
step "checking the installed softplus" "$bpframe" check softplus
grep -qF "softplus (${plugindir}/softplus.so): a layer" "$log" \
  || fail_with_log "bpframe check did not check $plugindir/softplus.so"

step "training the template's example graph" \
  "$bpframe" run --model "$tmp/model.yaml" \
  "$tmp/template/examples/xor-softplus.yaml"
grep -q "; test accuracy 1.0000 (4 of 4)$" "$log" \
  || fail_with_log "the example graph did not learn XOR"
[[ -f "$tmp/model.yaml" ]] || fail "bpframe run wrote no model file"

say "passed"
