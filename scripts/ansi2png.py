#!/usr/bin/env python3
"""Render a terminal capture (`tmux capture-pane -e -p`: text with SGR colour codes) as a PNG.

Usage: ansi2png.py CAPTURE.txt OUT.png [COLUMNS ROWS]
Needs Pillow and the DejaVu Sans Mono font (Debian: fonts-dejavu-core).
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 26, 33)
FG = (208, 212, 220)
# xterm-like palette, slightly softened.
BASE = [
    (40, 42, 54), (220, 80, 80), (90, 190, 110), (225, 190, 90),
    (100, 150, 230), (200, 120, 210), (90, 190, 200), (208, 212, 220),
    (110, 115, 130), (255, 120, 120), (130, 220, 140), (250, 220, 120),
    (140, 180, 255), (230, 150, 240), (130, 220, 230), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse(text):
    """Yields rows of cells: (char, fg, bg, bold, reverse, underline)."""
    rows = []
    state = dict(fg=None, bg=None, bold=False, reverse=False, underline=False, dim=False)
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos:m.start()]:
                cells.append((ch, dict(state)))
            pos = m.end()
            codes = [int(c) if c else 0 for c in m.group(1).split(";")] if m.group(1) else [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    state.update(fg=None, bg=None, bold=False, reverse=False, underline=False, dim=False)
                elif c == 1:
                    state["bold"] = True
                elif c == 2:
                    state["dim"] = True
                elif c == 4:
                    state["underline"] = True
                elif c == 7:
                    state["reverse"] = True
                elif c == 22:
                    state["bold"] = state["dim"] = False
                elif c == 24:
                    state["underline"] = False
                elif c == 27:
                    state["reverse"] = False
                elif 30 <= c <= 37:
                    state["fg"] = BASE[c - 30]
                elif 90 <= c <= 97:
                    state["fg"] = BASE[c - 90 + 8]
                elif 40 <= c <= 47:
                    state["bg"] = BASE[c - 40]
                elif 100 <= c <= 107:
                    state["bg"] = BASE[c - 100 + 8]
                elif c == 39:
                    state["fg"] = None
                elif c == 49:
                    state["bg"] = None
                elif c in (38, 48) and i + 1 < len(codes):
                    key = "fg" if c == 38 else "bg"
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        state[key] = xterm256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        state[key] = tuple(codes[i + 2:i + 5])
                        i += 4
                i += 1
        for ch in line[pos:]:
            if ch != "\x1b":
                cells.append((ch, dict(state)))
        rows.append(cells)
    return rows


def render(text, out, cols, nrows):
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    cw = round(font.getlength("M"))
    ascent, descent = font.getmetrics()
    ch = ascent + descent
    pad = 14
    img = Image.new("RGB", (cols * cw + 2 * pad, nrows * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y, cells in enumerate(parse(text)[:nrows]):
        for x, (c, st) in enumerate(cells[:cols]):
            fg = st["fg"] or FG
            bg = st["bg"]
            if st["reverse"]:
                fg, bg = (bg or BG), fg
            if st["dim"]:
                fg = tuple(int(v * 0.6) for v in fg)
            px, py = pad + x * cw, pad + y * ch
            if bg:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c != " ":
                draw.text((px, py + 1), c, font=bold if st["bold"] else font, fill=fg)
            if st["underline"]:
                draw.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    img.save(out)


if __name__ == "__main__":
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else 120
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 35
    with open(sys.argv[1], encoding="utf-8") as f:
        render(f.read(), sys.argv[2], cols, rows)
