#!/usr/bin/env bash
# Runs every C2Fast test on a fresh machine: installs the independent WebSocket peers the
# interop tests need (Debian python3-websockets, npm ws from tests/peers/package-lock.json) and a
# font for the bench chart (Debian fonts-dejavu-core), builds the solution, then runs both test projects one after
# the other: tests/C2Fast.Tests (unit, in process) and tests/C2Fast.IntegrationTests (sockets, simulator, processes,
# peers). Extra arguments go to each `dotnet test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! /usr/bin/python3 -c 'import websockets' >/dev/null 2>&1; then
  echo "test.sh: installing Debian python3-websockets" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-websockets >/dev/null
fi

# The bench chart tests read its text: SkiaSharp (NoDependencies build) draws none without a font in /usr/share/fonts.
if ! find /usr/share/fonts -name '*.ttf' -print -quit 2>/dev/null | grep -q .; then
  echo "test.sh: installing Debian fonts-dejavu-core" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null
fi

if [ ! -d tests/peers/node_modules/ws ]; then
  echo "test.sh: installing npm ws (tests/peers)" >&2
  (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error)
fi

dotnet build C2Fast.sln -c Release

# Each project writes its own trx (one fixed name for both would be overwritten by the second). A test still running
# after 10 minutes is taken as hung: the run is aborted with the test's name instead of hanging CI.
results="$(mktemp -d)"
status=0
for project in C2Fast.Tests C2Fast.IntegrationTests; do
  dotnet test "tests/$project/$project.csproj" -c Release --no-build \
    --blame-hang-timeout 10m --blame-hang-dump-type none \
    --logger "trx;LogFileName=$project.trx" --results-directory "$results" "$@" || status=$?
done

# One plain closing line for CI, summed over both projects: "Tests: N passed, N failed, N skipped".
# A run aborted by the hang timeout (or a crash) has no result for the tests that were running: the blame collector's
# Sequence_*.xml marks them Completed="False", and they count as failed.
if compgen -G "$results/*.trx" >/dev/null; then
  /usr/bin/python3 - "$results" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
p = f = s = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.trx'))):
    c = ET.parse(path).getroot().find('.//{*}Counters')
    p += int(c.get('passed', 0)); f += int(c.get('failed', 0)) + int(c.get('error', 0)) + int(c.get('timeout', 0))
    s += int(c.get('total', 0)) - int(c.get('executed', 0))  # skipped tests are counted but not executed
sequences = {}  # the trx logger keeps a copy of each under its own folder: one per name
for path in sorted(glob.glob(os.path.join(sys.argv[1], '**', 'Sequence_*.xml'), recursive=True)):
    sequences.setdefault(os.path.basename(path), path)
for path in sequences.values():
    for test in ET.parse(path).getroot().iter('Test'):
        if test.get('Completed') == 'False':
            print(f"test.sh: did not finish (hung or crashed): {test.get('Name')}", file=sys.stderr)
            f += 1
print(f"Tests: {p} passed, {f} failed, {s} skipped")
PY
fi
rm -rf "$results"
exit "$status"
