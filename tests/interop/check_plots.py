#!/usr/bin/python3
"""check_plots.py: edbx's plots read back by other programs.

tests/unit/test_plot.c and tests/e2e/test_e2e_plot.c run it with Debian's /usr/bin/python3.

  check_plots.py svg FILE TEXT...
      FILE parses as XML (SVG) and each TEXT is the whole text of one of its <text>
      elements (labels, units, state names, legends: the SVG keeps them as text).
  check_plots.py svg-lacks FILE TEXT...
      No <text> element of FILE is any TEXT.
  check_plots.py chromium FILE.html CHARTS POINTS
      Opens the page in headless Chromium with every network request bound to fail:
      no console message at all (a script error or a request would make one), the page
      says it drew CHARTS charts from POINTS samples (data-edbx-charts, data-edbx-points;
      -1 to skip), there are as many canvases, and a screenshot of it has more than a
      handful of colours and is not blank.

Exit 0 when every check holds; 1 with the reason on stdout; 77 when a program is missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def fail(msg):
    print(msg)
    sys.exit(1)


def svg_texts(path):
    root = ET.parse(path).getroot()
    if not root.tag.endswith("svg"):
        fail("%s: the root element is %s, not svg" % (path, root.tag))
    return [("".join(e.itertext())) for e in root.iter() if e.tag.endswith("}text") or e.tag == "text"]


def cmd_svg(path, wanted):
    texts = svg_texts(path)
    missing = [w for w in wanted if w not in texts]
    if missing:
        fail("%s: no text element reads %r; the texts are %r" % (path, missing, texts))


def cmd_svg_lacks(path, unwanted):
    texts = svg_texts(path)
    found = [w for w in unwanted if w in texts]
    if found:
        fail("%s: text elements read %r" % (path, found))


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--enable-logging=stderr", "--v=0",
    # Any request the page made would fail, and say so on the console.
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium(args, profile):
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    run = subprocess.run([exe] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args,
                         capture_output=True, text=True, timeout=120)
    console = [l for l in run.stderr.splitlines() if "CONSOLE" in l]
    if console:
        fail("the page wrote to the console:\n" + "\n".join(console))
    if run.returncode != 0:
        fail("chromium exit %d:\n%s" % (run.returncode, run.stderr[-3000:]))
    return run.stdout


def cmd_chromium(path, charts, points):
    try:
        from PIL import Image
    except ImportError:
        print("skipped: python3-pil missing")
        sys.exit(77)
    if not (shutil.which("chromium") or os.access("/usr/bin/chromium", os.X_OK)):
        print("skipped: chromium missing")
        sys.exit(77)
    url = "file://" + os.path.abspath(path)
    with tempfile.TemporaryDirectory() as d:
        dom = chromium(["--dump-dom", url], os.path.join(d, "p1"))
        m = re.search(r'<body[^>]*data-edbx-charts="(\d+)"[^>]*data-edbx-points="(\d+)"', dom)
        if not m:
            err = re.search(r'class="error"[^>]*>([^<]*)', dom)
            fail("the page did not finish drawing%s" % (": " + err.group(1) if err else ""))
        got_charts, got_points = int(m.group(1)), int(m.group(2))
        if charts >= 0 and got_charts != charts:
            fail("the page drew %d charts, not %d" % (got_charts, charts))
        if points >= 0 and got_points != points:
            fail("the page holds %d samples, not %d" % (got_points, points))
        canvases = dom.count("<canvas")
        if canvases != got_charts:
            fail("%d canvases for %d charts" % (canvases, got_charts))
        shot = os.path.join(d, "shot.png")
        chromium(["--screenshot=" + shot, "--window-size=1280,1600", "--hide-scrollbars", url],
                 os.path.join(d, "p2"))
        img = Image.open(shot).convert("RGB")
        colours = img.getcolors(maxcolors=1 << 22)
        white = sum(n for n, c in colours if c == (255, 255, 255))
        total = img.size[0] * img.size[1]
        if len(colours) < 16 or total - white < total // 100:
            fail("the screenshot is blank: %d colours, %d of %d pixels not white"
                 % (len(colours), total - white, total))
        print("charts=%d points=%d canvases=%d colours=%d" % (got_charts, got_points, canvases,
                                                              len(colours)))


def main(argv):
    if len(argv) >= 3 and argv[1] == "svg":
        cmd_svg(argv[2], argv[3:])
    elif len(argv) >= 3 and argv[1] == "svg-lacks":
        cmd_svg_lacks(argv[2], argv[3:])
    elif len(argv) == 5 and argv[1] == "chromium":
        cmd_chromium(argv[2], int(argv[3]), int(argv[4]))
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
