#!/usr/bin/env bash
# Regenerates crates/platform/fonts/wqy-microhei-subset.ttf, the CJK font compiled into the binary for
# the verification form (网站备案信息真实性核验单), and its licence file beside it.
#
# Run by a person when the font or the subset has to change; never at build time. The output
# is committed. Re-running it with the same inputs gives a byte-identical file.
#
# Source:   Debian package fonts-wqy-microhei, version 0.2.0-beta-3.1 (Debian 12 "bookworm"),
#           file /usr/share/fonts/truetype/wqy/wqy-microhei.ttc, face 0 "WenQuanYi Micro Hei"
#           (face 1 is the Mono variant), upstream WenQuanYi Micro Hei 0.2.0-beta.
#           Licence: Apache-2.0 or GPL-3+ with font exception; we take Apache-2.0.
# Tool:     Python fontTools 4.69.1 (pip install fonttools==4.69.1).
# Subset (Unicode code points kept, where the font has a glyph):
#   U+0020-007E  ASCII                      U+00A0-017F  Latin-1 Supplement, Latin Extended-A
#   U+2000-206F  General Punctuation        U+2100-218F  Letterlike Symbols, Number Forms
#   U+2190-21FF  Arrows                     U+2460-24FF  Enclosed Alphanumerics
#   U+2500-25FF  Box Drawing, Block Elements, Geometric Shapes
#   U+2713-2718  check and cross marks (the font has ✓ ✔ ✕ ✖ ✘; □ ■ are in GB 2312)
#   U+3000-303F  CJK Symbols and Punctuation
#   U+4E00-9FFF  CJK Unified Ideographs (all 20,932 the font has: every GB 2312 and GBK hanzi)
#   U+FF00-FFEF  Halfwidth and Fullwidth Forms
#   every character of GB 2312 (rows 1-9 and 16-87: 7,445 characters, incl. pinyin, kana,
#   Greek, Cyrillic), and every character in the form's own texts
#   (crates/*/src/verification_form/*.rs, crates/*/messages/*.toml).
# Dropped: TrueType hinting (unused in PDF), Hangul, the 2 CJK Extension A, 6 astral and 302
# compatibility ideographs, vertical metrics (vhea, vmtx: the form is set horizontally),
# glyph names, the FFTM table.
# With SUBSET=gb2312 the CJK Unified Ideographs block is left out (only GB 2312's 6,763 hanzi
# are kept): about 1.3 MB instead of 3.0 MB, but common name characters outside GB 2312
# (婧 喆 堃 玥 昇 祎 珺 ...) then print as empty boxes.
#
#   scripts/make-embedded-font.sh            # needs fonts-wqy-microhei installed
#   WQY_TTC=/path/to/wqy-microhei.ttc scripts/make-embedded-font.sh
set -euo pipefail
cd "$(dirname "$0")/.."

want_version="0.2.0-beta-3.1"
want_sha256="2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
want_fonttools="4.69.1"
ttc="${WQY_TTC:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}"
subset="${SUBSET:-uro}"
out_dir=crates/platform/fonts
out="$out_dir/wqy-microhei-subset.ttf"

if [ ! -f "$ttc" ]; then
    echo "$ttc is missing: apt-get install fonts-wqy-microhei (or set WQY_TTC)" >&2
    exit 1
fi
have_version="$(dpkg-query -W -f='${Version}' fonts-wqy-microhei 2>/dev/null || echo unknown)"
if [ "$have_version" != "$want_version" ]; then
    echo "warning: fonts-wqy-microhei is $have_version, the asset was made from $want_version" >&2
fi
have_sha256="$(sha256sum "$ttc" | cut -d' ' -f1)"
if [ "$have_sha256" != "$want_sha256" ]; then
    echo "warning: $ttc differs from the one the asset was made from (sha256 $want_sha256)" >&2
fi
if ! python3 -c 'import fontTools' 2>/dev/null; then
    echo "Python fontTools is missing: pip install fonttools==$want_fonttools" >&2
    exit 1
fi
have_fonttools="$(python3 -c 'import fontTools; print(fontTools.version)')"
if [ "$have_fonttools" != "$want_fonttools" ]; then
    echo "warning: fontTools is $have_fonttools, the asset was made with $want_fonttools" >&2
fi

mkdir -p "$out_dir"
python3 - "$ttc" "$out" "$subset" <<'PY'
import glob
import os
import sys

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont

ttc, out, which = sys.argv[1:4]

def gb2312():
    """Every character of GB 2312 (EUC-CN bytes 0xA1A1-0xF7FE)."""
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return chars

def span(lo, hi):
    return range(lo, hi + 1)

gb = gb2312()
form_files = glob.glob("crates/*/src/verification_form/*.rs") + glob.glob("crates/*/messages/*.toml")
form = set()
for path in form_files:
    with open(path, encoding="utf-8") as f:
        form.update(ord(c) for c in f.read() if c.isprintable())
if not form_files:
    sys.exit("no form texts found under crates/: run from the repository")

wanted = set(gb) | form
for lo, hi in [
    (0x0020, 0x007E), (0x00A0, 0x017F), (0x2000, 0x206F), (0x2100, 0x218F),
    (0x2190, 0x21FF), (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2713, 0x2718),
    (0x3000, 0x303F), (0xFF00, 0xFFEF),
]:
    wanted.update(span(lo, hi))
if which == "uro":
    wanted.update(span(0x4E00, 0x9FFF))
elif which != "gb2312":
    sys.exit(f"SUBSET must be uro or gb2312, not {which}")

font = TTFont(ttc, fontNumber=0, lazy=False, recalcTimestamp=False)
cmap = font.getBestCmap()
missing = sorted(c for c in set(gb) | form if c not in cmap and c != 0x20)
if missing:
    sys.exit("the font lacks GB 2312 or form characters: " + " ".join(f"U+{c:04X}" for c in missing))

options = ftsubset.Options()
options.hinting = False            # PDF viewers do not run TrueType hinting
options.desubroutinize = False
options.glyph_names = False
options.name_IDs = ["*"]
options.name_languages = ["*"]
options.drop_tables += ["FFTM", "vhea", "vmtx"]
subsetter = ftsubset.Subsetter(options=options)
subsetter.populate(unicodes=sorted(wanted))
subsetter.subset(font)

# Apache-2.0 section 4(b): the modified file says that it was modified.
note = ("Subset of WenQuanYi Micro Hei 0.2.0-beta (Debian fonts-wqy-microhei 0.2.0-beta-3.1) "
        f"made by the beian project's scripts/make-embedded-font.sh (SUBSET={which}); "
        "glyph outlines unchanged, hinting removed. Licensed under the Apache License 2.0.")
font["name"].setName(note, 10, 3, 1, 0x409)
font["name"].setName(note, 10, 1, 0, 0)
font.save(out)

check = TTFont(out)
cm = check.getBestCmap()
hanzi = [c for c in gb if 0x4E00 <= c <= 0x9FFF]
print(f"{out}: {os.path.getsize(out)} bytes, {check['maxp'].numGlyphs} glyphs, "
      f"{len(cm)} characters mapped")
print(f"GB 2312: {sum(c in cm for c in gb)}/{len(gb)} characters, "
      f"{sum(c in cm for c in hanzi)}/{len(hanzi)} hanzi; "
      f"CJK Unified Ideographs: {sum(1 for c in cm if 0x4E00 <= c <= 0x9FFF)}")
PY
cp /usr/share/common-licenses/Apache-2.0 "$out_dir/LICENSE-Apache-2.0.txt" 2>/dev/null \
    || echo "warning: /usr/share/common-licenses/Apache-2.0 missing; $out_dir/LICENSE-Apache-2.0.txt not refreshed" >&2
sha256sum "$out"
