#!/usr/bin/env bash
# `ptfuzz replay FILE --html OUT` as a browser shows it: replays a violating corpus schedule and a
# clean one, renders both pages with Debian's headless chromium, and checks the pixels: the CPU
# lanes' headers (solid #1d4ed8, one block per CPU side by side) and the violating row (solid
# #dc2626 across the page) are on screen for the violation, and no violating row for the clean
# run. --dump-dom checks the lanes exist once the page's script has run. Also: the page is
# written for a clean run, and a page that cannot be written is exit 2 naming its path.
# Usage: html_screenshot_test.sh PTFUZZ SOURCE_DIR. Exit 77 (ctest SKIP_RETURN_CODE) without
# chromium.
set -euo pipefail

ptfuzz=$1
src=$2
violating=$src/corpus/gup_vs_zap/regression/no_pte_recheck_ipi_held_off.textproto
clean=$src/corpus/gup_vs_zap/seed/refault_same_page.textproto

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>"$tmp/chromium.log"
}

# The replays: exit 1 for the violation, 0 for the clean run, the page written in both cases.
set +e
"$ptfuzz" replay "$violating" --html "$tmp/violation.html" >"$tmp/violation.txt"
rc=$?
"$ptfuzz" replay "$clean" --html "$tmp/clean.html" >"$tmp/clean.txt"
rc_clean=$?
set -e
[ "$rc" -eq 1 ] || fail "violating replay exited $rc, expected 1"
[ "$rc_clean" -eq 0 ] || fail "clean replay exited $rc_clean, expected 0"
[ -s "$tmp/violation.html" ] || fail "no HTML for the violating run"
[ -s "$tmp/clean.html" ] || fail "no HTML for the clean run"
# The machine's CPUs, from the JSON report: one lane each.
num_cpus() {
  "$ptfuzz" replay "$1" --json | sed -n 's/.*"num_cpus":\([0-9]*\),.*/\1/p' || true
}
cpus=$(num_cpus "$violating")
[ "$cpus" -ge 2 ] || fail "expected at least 2 cpus in the JSON report, got $cpus"

# A page that cannot be written: exit 2, naming the path.
set +e
"$ptfuzz" replay "$violating" --html "$tmp/no/such/dir/x.html" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--html into a missing directory exited $rc, expected 2"
grep -q "$tmp/no/such/dir/x.html: cannot write the HTML report" "$tmp/err" ||
  fail "--html error does not name the path: $(cat "$tmp/err")"

# The rest needs a browser.
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIP: chromium is not installed (Debian package chromium, installed by scripts/setup.sh)"
  exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is not installed (scripts/setup.sh installs it)"
  exit 77
fi

# The DOM after the page's script ran.
chrome --dump-dom "file://$tmp/violation.html" >"$tmp/dom.html" || {
  cat "$tmp/chromium.log" >&2
  fail "chromium --dump-dom failed"
}
grep -q 'data-script="ready"' "$tmp/dom.html" || fail "the page's script did not run to its end"
lanes=$(grep -o '<th class="lane cpu">' "$tmp/dom.html" | wc -l)
[ "$lanes" -eq "$cpus" ] || fail "DOM has $lanes cpu lanes, the run has $cpus cpus"
grep -q 'class="violation"' "$tmp/dom.html" || fail "DOM has no violating row"

for page in violation clean; do
  chrome --screenshot="$tmp/$page.png" --window-size=1280,900 "file://$tmp/$page.html" >/dev/null || {
    cat "$tmp/chromium.log" >&2
    fail "chromium --screenshot of $page failed"
  }
  [ -s "$tmp/$page.png" ] || fail "no screenshot of $page"
done

# Decode the PNGs with the standard library only and measure the two colours.
cat >"$tmp/pixels.py" <<'EOF'
import struct, sys, zlib

LANE = (0x1d, 0x4e, 0xd8)       # replay/html_report.cc: th.lane.cpu background
VIOLATION = (0xdc, 0x26, 0x26)  # tr.violation td background

def decode(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, rows

def runs(row, colour, min_len):
    out, n = [], 0
    for px in row + [None]:
        if px == colour:
            n += 1
        else:
            if n >= min_len:
                out.append(n)
            n = 0
    return out

def main():
    path, cpus, expect_violation = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'
    width, rows = decode(path)
    # Scanlines crossing the lane headers: exactly one wide block per cpu.
    lane_lines = [y for y, r in enumerate(rows) if len(runs(r, LANE, 100)) == cpus]
    # Scanlines crossing the violating row: the colour over most of the page's width.
    viol_lines = [y for y, r in enumerate(rows) if r.count(VIOLATION) >= width // 2]
    print(f'{path}: {len(lane_lines)} scanlines with {cpus} lane headers, '
          f'{len(viol_lines)} scanlines of the violating row')
    if len(lane_lines) < 10:
        sys.exit(f'lane headers not visible ({len(lane_lines)} scanlines with {cpus} blocks)')
    if expect_violation:
        if len(viol_lines) < 10:
            sys.exit(f'violating row not visible ({len(viol_lines)} scanlines)')
        if min(viol_lines) <= max(lane_lines):
            sys.exit('the violating row is not below the lane headers')
    elif viol_lines:
        sys.exit(f'a clean run shows a violating row ({len(viol_lines)} scanlines)')

main()
EOF
python3 "$tmp/pixels.py" "$tmp/violation.png" "$cpus" 1 || fail "violation screenshot"
clean_cpus=$(num_cpus "$clean")
python3 "$tmp/pixels.py" "$tmp/clean.png" "$clean_cpus" 0 || fail "clean screenshot"
echo "PASS"
