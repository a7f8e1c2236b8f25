#!/usr/bin/env python3
"""Check that libsaas exports exactly the functions its headers declare.

Usage: check_exports.py LIBSAAS_SO INCLUDE_DIR [--postgres|--no-postgres]

Passes when
  - every dynamic symbol the shared library defines starts with `saas_` and
    not `saas__` (internal helpers stay hidden);
  - the exported set equals the set of functions declared with
    `SAAS_EXTERN(type) name(` in INCLUDE_DIR/**/*.h, except that
    saas/postgres.h (the PostgreSQL extension, built only with libpq) counts
    only for a build with PostgreSQL: --postgres / --no-postgres say which
    (meson passes one); without either, it counts when the library exports
    any saas_pg_* function;
  - the SONAME is libsaas.so.0.<minor> (the soversion before 1.0) and the
    library carries the LIBSAAS_0 version node of lib/libsaas.map.
Prints the differences and exits 1 otherwise; exits 77 (skipped) when the
binutils it needs are missing.
"""
import os
import re
import shutil
import subprocess
import sys

# Linker- and libc-provided names that any shared library may define.
IGNORED = {'_init', '_fini', '_edata', '_end', '__bss_start'}
VERSION_NODE = 'LIBSAAS_0'
# Headers whose functions exist only in a build with PostgreSQL.
POSTGRES_HEADERS = {os.path.join('saas', 'postgres.h')}


def strip_c(text):
    """Remove comments and preprocessor directives (with continuations)."""
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    text = re.sub(r'//[^\n]*', ' ', text)
    text = re.sub(r'^[ \t]*#(?:[^\n]*\\\n)*[^\n]*', ' ', text, flags=re.M)
    return text


DECL = re.compile(r'\bSAAS_EXTERN\s*\((?:[^()]|\([^()]*\))*\)\s*\**\s*([A-Za-z_]\w*)\s*\(')


def declared(include_dir, postgres):
    names = {}
    for root, _, files in os.walk(include_dir):
        for f in sorted(files):
            if not f.endswith('.h'):
                continue
            path = os.path.join(root, f)
            if not postgres and os.path.relpath(path, include_dir) in POSTGRES_HEADERS:
                continue
            with open(path, encoding='utf-8') as fh:
                for name in DECL.findall(strip_c(fh.read())):
                    names.setdefault(name, os.path.relpath(path, include_dir))
    return names


def run(cmd):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit('check_exports: %s failed: %s' % (' '.join(cmd), e.stderr.strip()))


def exported(lib):
    names = set()
    for line in run(['nm', '-D', '--defined-only', lib]).splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1].split('@')[0]
        if kind in ('A', 'a') or name in IGNORED:  # version nodes are absolute symbols
            continue
        names.add(name)
    return names


def project_minor(include_dir):
    """The MINOR of the project version in meson.build beside include/."""
    path = os.path.join(os.path.dirname(os.path.abspath(include_dir)), 'meson.build')
    try:
        with open(path, encoding='utf-8') as fh:
            m = re.search(r"\bversion\s*:\s*'(\d+)\.(\d+)\.(\d+)'", fh.read())
    except OSError:
        m = None
    return m.group(2) if m else None


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] not in ('--postgres',
                                                                     '--no-postgres')):
        sys.exit('usage: check_exports.py LIBSAAS_SO INCLUDE_DIR [--postgres|--no-postgres]')
    lib, include_dir = argv[1], argv[2]
    flag = argv[3] if len(argv) == 4 else None
    for tool in ('nm', 'objdump'):
        if not shutil.which(tool):
            print('check_exports: %s not found (install binutils); skipped' % tool)
            return 77

    problems = []
    exp = exported(lib)
    postgres = flag == '--postgres' if flag else any(n.startswith('saas_pg_') for n in exp)
    decl = declared(include_dir, postgres)
    if not decl:
        problems.append('no SAAS_EXTERN declarations found under %s' % include_dir)

    bad_prefix = sorted(n for n in exp if not n.startswith('saas_') or n.startswith('saas__'))
    if bad_prefix:
        problems.append('exported but not public saas_* names (internal or unprefixed):\n  '
                        + '\n  '.join(bad_prefix))
    missing = sorted(set(decl) - exp)
    if missing:
        problems.append('declared in the headers but not exported by %s (%d):\n  '
                        % (os.path.basename(lib), len(missing))
                        + '\n  '.join('%s  (%s)' % (n, decl[n]) for n in missing))
    extra = sorted(n for n in exp - set(decl) if n not in bad_prefix)
    if extra:
        problems.append('exported but declared in no public header (%d):\n  ' % len(extra)
                        + '\n  '.join(extra))

    dyn = run(['objdump', '-p', lib])
    m = re.search(r'^\s*SONAME\s+(\S+)', dyn, re.M)
    soname = m.group(1) if m else None
    minor = project_minor(include_dir)
    want = r'libsaas\.so\.0\.%s' % (re.escape(minor) if minor else r'\d+')
    if not soname or not re.fullmatch(want, soname):
        problems.append('SONAME is %s, expected libsaas.so.0.%s' % (soname or 'missing',
                                                                     minor or '<minor>'))
    if not re.search(r'^\s*\d+\s+0x\w+\s+0x\w+\s+%s\s*$' % VERSION_NODE, dyn, re.M):
        problems.append('version node %s missing: is lib/libsaas.map passed to the linker?'
                        % VERSION_NODE)

    if problems:
        print('check_exports: FAIL')
        for p in problems:
            print('- ' + p)
        return 1
    print('check_exports: OK: %d functions exported, all declared; SONAME %s' % (len(exp), soname))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
