#!/usr/bin/python3
"""check_plots.py: edbx's plots read back by other programs.

tests/unit/test_plot.c and tests/e2e/test_e2e_plot.c run it with Debian's /usr/bin/python3.

  check_plots.py svg FILE TEXT...
      FILE parses as XML (SVG) and each TEXT is the whole text of one of its <text>
      elements (labels, units, state names, legends: the SVG keeps them as text).
  check_plots.py svg-lacks FILE TEXT...
      No <text> element of FILE is any TEXT.
  check_plots.py chromium FILE.html CHARTS POINTS
      Opens the page in headless Chromium with every request sent to a trap: no request
      at all, no console message at all (a script error would make one), the page
      says it drew CHARTS charts from POINTS samples (data-edbx-charts, data-edbx-points;
      -1 to skip), there are as many canvases, and a screenshot of it has more than a
      handful of colours and is not blank.

Exit 0 when every check holds; 1 with the reason on stdout; 77 when a program is missing.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
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
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-bypass-list=<-loopback>",
]


# What Chromium asks for itself whatever the page (network time, the component and
# extension updater, sign-in), even with --disable-background-networking: told apart by
# host, exactly.  Any other request is the page's.
BROWSER_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com",
                 "clientservices.googleapis.com", "safebrowsing.googleapis.com",
                 "optimizationguide-pa.googleapis.com", "content-autofill.googleapis.com",
                 "redirector.gvt1.com", "edgedl.me.gvt1.com", "www.googleapis.com"}


def request_host(line):
    """The host of a proxy request line: 'GET http://h/p HTTP/1.1', 'CONNECT h:443 ...'."""
    parts = line.split()
    if len(parts) < 2:
        return line
    target = parts[1]
    if "://" in target:
        target = target.split("://", 1)[1]
    return target.split("/", 1)[0].rsplit(":", 1)[0]


class Trap:
    """A proxy that answers nothing and notes who called: every request Chromium makes goes
    to it (--proxy-server), so a request from the page shows here."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.calls = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(1)
            try:
                self.calls.append(conn.recv(200).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                self.calls.append("(a connection)")
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def chromium(args, profile):
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    trap = Trap()
    proxy = "--proxy-server=127.0.0.1:%d" % trap.sock.getsockname()[1]
    try:
        run = subprocess.run([exe] + CHROMIUM_FLAGS + [proxy, "--user-data-dir=" + profile] + args,
                             capture_output=True, text=True, timeout=120)
    finally:
        trap.close()
    console = [l for l in run.stderr.splitlines() if "CONSOLE" in l]
    if console:
        fail("the page wrote to the console:\n" + "\n".join(console))
    page = [c for c in trap.calls if request_host(c) not in BROWSER_HOSTS]
    if page:
        fail("the page asked the network for: %s" % "; ".join(page))
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
    # Nothing in the file can fetch anything: no element loads a resource, no code asks.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for pattern in (r"<(script|img|link|iframe|source|video|audio|embed|object)\b[^>]*\b(src|href|data)=",
                    r"url\(", r"@import", r"\bfetch\(", r"XMLHttpRequest", r"WebSocket",
                    r"EventSource", r"sendBeacon", r"\bimport\("):
        m = re.search(pattern, text)
        if m:
            fail("the page could fetch something: %r" % text[max(0, m.start() - 40):m.end() + 40])
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
