"""Copies the binary out of a built wheel (its `*.data/scripts/binance-mcp[.exe]`), so the
release's standalone binary and MCP Bundle carry the very bytes the wheel carries.

Usage: python packaging/binary_from_wheel.py dist/binance_mcp-*.whl out/
"""

import os
import sys
import zipfile

wheel, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    (name,) = [n for n in z.namelist() if "/scripts/binance-mcp" in n]
    target = os.path.join(out, os.path.basename(name))
    with open(target, "wb") as f:
        f.write(z.read(name))
os.chmod(target, 0o755)
print(target)
