#!/usr/bin/env python3
"""thinpack.py REPO BASE-BLOB APPEND-FILE OBJECT... -- write to stdout a thin
git pack (version 2): every OBJECT of REPO in full, then one blob as a
REF_DELTA on BASE-BLOB (an object the pack does not hold): the base's bytes
copied whole, then APPEND-FILE's bytes. What a peer would send to rebuild a
file it may not see (test_sync_graft.sh)."""
import hashlib, subprocess, sys, zlib

repo, base, append = sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()
objs = sys.argv[4:]
TYPES = {'commit': 1, 'tree': 2, 'blob': 3, 'tag': 4}

def git(*a):
    return subprocess.run(['git', '-C', repo] + list(a), check=True, capture_output=True).stdout

def header(t, n):
    b = [(t << 4) | (n & 15)]
    n >>= 4
    while n:
        b[-1] |= 0x80
        b.append(n & 0x7f)
        n >>= 7
    return bytes(b)

def varint(n):
    b = []
    while True:
        b.append(n & 0x7f)
        n >>= 7
        if not n:
            break
        b[-1] |= 0x80
    return bytes(b)

base_size = int(git('cat-file', '-s', base))
out = b'PACK' + (2).to_bytes(4, 'big') + (len(objs) + 1).to_bytes(4, 'big')
for o in objs:
    t = git('cat-file', '-t', o).decode().strip()
    data = git('cat-file', t, o)
    out += header(TYPES[t], len(data)) + zlib.compress(data)
delta = varint(base_size) + varint(base_size + len(append))
# copy base[0:base_size]: offset 0 (no offset bytes), size in 3 bytes
delta += bytes([0x80 | 0x10 | 0x20 | 0x40, base_size & 0xff, (base_size >> 8) & 0xff,
                (base_size >> 16) & 0xff])
for i in range(0, len(append), 127):
    chunk = append[i:i + 127]
    delta += bytes([len(chunk)]) + chunk
out += header(7, len(delta)) + bytes.fromhex(base) + zlib.compress(delta)
out += hashlib.sha1(out).digest()
sys.stdout.buffer.write(out)
