#!/usr/bin/python3
"""bundle_edit.py SRC DST CODE: rewrite a bundle with Python's own tarfile and zipfile (an
archive writer independent of edbx's), for tests that need a damaged or hostile one.

SRC is read whole: `files` is a dict of entry name -> bytes in the archive's order, `m`
the parsed manifest.json.  CODE (Python) may change either; afterwards manifest.json is
written back from `m` (unless CODE set `keep_manifest = True`), and DST is written with
the entries of `files` in their order, as .tar, .tar.gz or .zip after DST's name.  CODE may
also add entries that are not plain files to `extra` (a list of tarfile.TarInfo)."""
import io
import json
import sys
import tarfile
import zipfile

src, dst, code = sys.argv[1:4]
files = {}
if src.endswith('.zip'):
    with zipfile.ZipFile(src) as z:
        for n in z.namelist():
            files[n] = z.read(n)
else:
    with tarfile.open(src) as t:
        for i in t.getmembers():
            files[i.name] = t.extractfile(i).read()
m = json.loads(files['manifest.json'])
keep_manifest = False
extra = []
exec(code)
if not keep_manifest:
    files['manifest.json'] = json.dumps(m, indent=2).encode()
if dst.endswith('.zip'):
    with zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
else:
    mode = 'w:gz' if dst.endswith('.gz') else 'w'
    with tarfile.open(dst, mode, format=tarfile.PAX_FORMAT) as t:
        for n, d in files.items():
            i = tarfile.TarInfo(n)
            i.size = len(d)
            i.mode = 0o644
            t.addfile(i, io.BytesIO(d))
        for i in extra:
            t.addfile(i)
