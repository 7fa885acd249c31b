"""Start and stop `edbx serve` for the interop tests: on 127.0.0.1, a free port, stopped
(terminated, then killed if it must be) when the test ends, whatever happens.

Exit codes shared by the tests: 0 passed, 1 failed, 77 skipped (ctest's SKIP_RETURN_CODE),
with the reason printed."""
import json
import os
import signal
import subprocess
import sys

SKIP = 77


def skip(why):
    print("skipped: " + why)
    sys.exit(SKIP)


def fixture(rel):
    top = os.environ.get("EDBX_FIXTURES")
    if not top:
        skip("EDBX_FIXTURES is not set (run me through ctest)")
    return os.path.join(top, rel)


def fixture_samples(mnemonic):
    """(ms, value) of every sample of a mnemonic of the fixture store, from its file."""
    with open(fixture("jwst-2021-01-26/%s_data.json" % mnemonic.lower())) as f:
        data = json.load(f)["Data"]
    return [(int(d["ObsTime"][6:19]), d["EUValue"]) for d in data]


class Server:
    """`with Server(args) as base:` gives "http://127.0.0.1:PORT/"."""

    def __init__(self, *args):
        self.args = list(args)
        self.proc = None
        self.stderr = ""

    def __enter__(self):
        edbx = os.environ.get("EDBX_BIN")
        if not edbx or not os.access(edbx, os.X_OK):
            skip("EDBX_BIN does not name the edbx binary (run me through ctest)")
        cmd = [edbx, "serve", fixture("jwst-2021-01-26"), "--port", "0", "-v"] + self.args
        env = dict(os.environ, LD_PRELOAD="")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        line = self.proc.stdout.readline()
        # "edbx serve: serving STORE on http://127.0.0.1:PORT/"
        if " on http://" not in line:
            self.__exit__(None, None, None)
            raise RuntimeError("edbx serve did not start: %r %s" % (line, self.stderr))
        self.base = line.rsplit(" on ", 1)[1].strip()
        return self.base

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stderr = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()
        return False


def bounded(seconds):
    """The whole test stops itself after `seconds`."""
    def on_alarm(signum, frame):
        raise TimeoutError("the test ran for more than %d s" % seconds)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
