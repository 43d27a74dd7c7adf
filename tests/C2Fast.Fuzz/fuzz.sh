#!/usr/bin/env bash
# Coverage-guided fuzzing of C2Fast with AFL++ and SharpFuzz (see README.md in this folder).
#
#   fuzz.sh --list                          the targets
#   fuzz.sh TARGET|all [-V SECONDS | -E EXECS] [--fresh] [--build-only]
#   fuzz.sh --replay TARGET PATH...         run inputs (files or folders, e.g. an AFL crashes folder) without AFL
#   fuzz.sh --tmin TARGET INPUT OUTPUT      minimize a crashing input with afl-tmin
#
# Installs what is missing (Debian afl++, the repository's local dotnet tool SharpFuzz.CommandLine), publishes this
# project to out/publish, instruments out/publish/C2Fast.dll with sharpfuzz, then runs afl-fuzz with corpus/TARGET as
# input and out/afl/TARGET as output (git-ignored), for -V seconds (default 300) or about -E executions. "all" runs
# the targets one after the other (never in parallel). An existing out/afl/TARGET is resumed unless --fresh.
# Environment: FUZZ_TIMEOUT_MS (afl -t, default 5000), FUZZ_MAX_LEN (afl -G, default per target).
# The timeout is fixed, never auto-calculated ("5000+" gave 20-40 ms): SharpFuzz's out-of-process server reports a child
# that afl killed for its timeout as a crash (sig 02), so a GC pause or a busy core must not look like one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$here/out"
publish="$out/publish"
dll="$publish/C2Fast.Fuzz.dll"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_afl() {
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "fuzz.sh: installing Debian afl++" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
  fi
}

install_sharpfuzz() {
  (cd "$repo" && dotnet tool restore >/dev/null)
}

build() {
  install_sharpfuzz
  rm -rf "$publish"   # never instrument twice: a fresh copy of C2Fast.dll every time
  dotnet publish "$here/C2Fast.Fuzz.csproj" -c Release -o "$publish" --nologo -v quiet
  # Every type but the event pump's: it runs application handlers on a pool thread while the read loop runs, and
  # instrumented code on two threads at once scrambles AFL's edge map (no stability). Prefix match on full type names.
  local prefixes=(C2Fast.C2 C2Fast.OptionRules C2Fast.Transport C2Fast.Handshake C2Fast.Framing C2Fast.Protocol
    C2Fast.Dispatch C2Fast.Diagnostics C2Fast.Session.PartitionReader C2Fast.Session.FeedErrors
    C2Fast.Session.SessionMessageHandler C2Fast.Session.SequenceTracker C2Fast.Session.CheckpointTracker
    C2Fast.Session.CheckpointFormat C2Fast.Session.FeedConnection C2Fast.Session.RequestTracker
    C2Fast.Session.SessionContext C2Fast.Session.ReconnectPolicy C2Fast.Session.FeedConnector
    C2Fast.Session.FeedSession C2Fast.Session.LayerSettings C2Fast.Session.DurableFile
    C2Fast.Session.SubscriptionRegistry)
  (cd "$repo" && dotnet sharpfuzz "$publish/C2Fast.dll" "${prefixes[@]}" >/dev/null)
  echo "fuzz.sh: instrumented $publish/C2Fast.dll" >&2
}

targets() { dotnet "$dll" --list | awk '{print $1}'; }

max_len() {
  case "$1" in
    frame-header) echo 32 ;;
    close-frame) echo 256 ;;
    utf8|handshake-response|envelope) echo 4096 ;;
    *) echo 8192 ;;
  esac
}

run_target() {
  local target="$1"; shift
  local corpus="$here/corpus/$target" findings="$out/afl/$target"
  [ -d "$corpus" ] || { echo "fuzz.sh: no corpus for '$target' (see --list)" >&2; exit 2; }
  if [ "$fresh" = 1 ]; then rm -rf "$findings"; fi
  mkdir -p "$findings"
  local dict=() ui=()
  [ -f "$here/dict/$target.dict" ] && dict=(-x "$here/dict/$target.dict")
  [ -t 1 ] || ui=(AFL_NO_UI=1)
  echo "fuzz.sh: afl-fuzz $target ${limit[*]} → $findings" >&2
  env "${ui[@]}" AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_AUTORESUME=1 \
    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_FORKSRV_INIT_TMOUT=1 AFL_FORKSRV_INIT_TMOUT=60000 \
    afl-fuzz -i "$corpus" -o "$findings" -m none -t "${FUZZ_TIMEOUT_MS:-5000}" -G "${FUZZ_MAX_LEN:-$(max_len "$target")}" \
      "${limit[@]}" "${dict[@]}" -- dotnet "$dll" "$target"
  local stats="$findings/default/fuzzer_stats"
  if [ -f "$stats" ]; then
    awk -F' *: *' '/^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|run_time|stability) /{printf "%s=%s ", $1, $2} END{print ""}' "$stats"
  fi
}

fresh=0; build_only=0; limit=(-V 300)
case "${1:-}" in
  --list) install_sharpfuzz; [ -f "$dll" ] || build; targets; exit 0 ;;
  --replay)
    shift; [ $# -ge 2 ] || { echo "usage: fuzz.sh --replay TARGET PATH..." >&2; exit 2; }
    dotnet build "$here/C2Fast.Fuzz.csproj" -c Release --nologo -v quiet >/dev/null
    exec dotnet "$here/bin/Release/net10.0/C2Fast.Fuzz.dll" replay "$@" ;;
  --tmin)
    shift; [ $# -eq 3 ] || { echo "usage: fuzz.sh --tmin TARGET INPUT OUTPUT" >&2; exit 2; }
    install_afl; [ -f "$dll" ] || build
    exec env AFL_SKIP_BIN_CHECK=1 afl-tmin -m none -t "${FUZZ_TIMEOUT_MS:-10000}" -i "$2" -o "$3" -- dotnet "$dll" "$1" ;;
  ""|-h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

target="$1"; shift
while [ $# -gt 0 ]; do
  case "$1" in
    -V|-E) limit=("$1" "$2"); shift 2 ;;
    --fresh) fresh=1; shift ;;
    --build-only) build_only=1; shift ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

install_afl
build
[ "$build_only" = 1 ] && exit 0
if [ "$target" = all ]; then
  for t in $(targets); do run_target "$t"; done
else
  run_target "$target"
fi
