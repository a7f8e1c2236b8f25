#!/usr/bin/env python3
"""Check the hash chain of a libsaas audit export (docs/audit.md): an
independent verifier, standard library only. Signatures (the retention
anchor, the checkpoints) are not checked here. Exit 0 intact, 1 damaged."""
import hashlib, json, struct, sys

def text(s):
    if s is None:
        return b'\xff\xff\xff\xff'
    b = s.encode('utf-8')
    return struct.pack('>I', len(b)) + b

def integer(v):
    return struct.pack('>q', v)

FIELDS_1 = ['id', 'occurred_at', 'actor_type', 'actor_id', 'action', 'target_type',
            'target_id', 'request_id', 'ip', 'user_agent', 'metadata']
FIELDS_2 = FIELDS_1 + ['on_behalf_of', 'subject_id', 'personal']

def event_hash(e, prev):
    fields = FIELDS_1 if e['format'] == 1 else FIELDS_2
    data = bytes.fromhex(prev) + b'libsaas/audit/%d\n' % e['format']
    data += text(e['tenant_id']) + integer(e['seq'])
    for f in fields:
        data += integer(e[f]) if f == 'occurred_at' else text(e[f])
    return hashlib.blake2b(data, digest_size=32).hexdigest()

with open(sys.argv[1], encoding='utf-8') as f:
    lines = [json.loads(l) for l in f]
header, prev, expected = lines[0], '0' * 64, 1
for o in lines[1:]:
    if 'anchor' in o:
        prev, expected = o['anchor']['hash'], o['anchor']['seq'] + 1
        continue
    if 'checkpoint' in o:
        continue
    if (o['tenant_id'] != header['tenant_id'] or o['seq'] != expected
            or o['format'] not in (1, 2) or o['prev_hash'] != prev
            or event_hash(o, prev) != o['hash']):
        sys.exit('damaged at seq %d' % expected)
    prev, expected = o['hash'], expected + 1
print('intact through seq %d, last hash %s' % (expected - 1, prev))
