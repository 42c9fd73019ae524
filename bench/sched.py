#!/usr/bin/env python3
"""Who had the CPU, and who waited for it, while a benchmark ran.

    python3 bench/sched.py OUT.jsonl [--every-ms 100]

Until killed, every `--every-ms` reads each process's scheduler
statistics (`/proc/PID/task/TID/schedstat`: nanoseconds on a CPU and
nanoseconds runnable but waiting for one) and writes one JSON line: the
moment (ms since the epoch) and, per group of processes, what they ran and
waited since the line before. Groups: `server` (`reach serve`),
`collector` (`reach collect`), `oha`, PostgreSQL's backends by the process
at the other end of their connection (`pg:server`, `pg:collector`, or
`pg:?` when not found), `pg:aux` (PostgreSQL's own processes: WAL writer,
checkpointer...) and `other`. `bench/timeline.py` reads it beside oha's
record (`bench.mjs --keep-requests` starts it). Cheap: about a hundred
small reads per tick.
"""

import json
import os
import sys
import time


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return None


def cmdline(pid):
    raw = read(f'/proc/{pid}/cmdline')
    return raw.replace(b'\0', b' ').decode('utf-8', 'replace').strip() if raw else ''


def schedstat(pid):
    """(run ns, wait ns) summed over the process's threads."""
    run = wait = 0
    try:
        tids = os.listdir(f'/proc/{pid}/task')
    except OSError:
        return None
    for tid in tids:
        raw = read(f'/proc/{pid}/task/{tid}/schedstat')
        if raw:
            fields = raw.split()
            run += int(fields[0])
            wait += int(fields[1])
    return run, wait


def sockets_by_local_port():
    """Local TCP port -> socket inode, over IPv4 and IPv6."""
    ports = {}
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        raw = read(table)
        if not raw:
            continue
        for line in raw.decode().splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(':', 1)[1], 16)
            ports[port] = fields[9]
    return ports


def owner_of_socket(inode, candidates):
    target = f'socket:[{inode}]'
    for pid in candidates:
        try:
            for fd in os.listdir(f'/proc/{pid}/fd'):
                try:
                    if os.readlink(f'/proc/{pid}/fd/{fd}') == target:
                        return pid
                except OSError:
                    pass
        except OSError:
            pass
    return None


def main():
    out_path = sys.argv[1]
    every = 0.1
    if '--every-ms' in sys.argv:
        every = float(sys.argv[sys.argv.index('--every-ms') + 1]) / 1000
    groups = {}   # pid -> group
    last = {}     # pid -> (run, wait)
    first = True
    with open(out_path, 'w') as out:
        while True:
            now = time.time()
            pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]
            reach = {}
            unknown_backends = []
            transient = {}
            for pid in pids:
                if pid in groups:
                    continue
                line = cmdline(pid)
                if not line:
                    continue
                words = line.split()
                name = os.path.basename(words[0])
                if name == 'reach' and 'serve' in words:
                    groups[pid] = 'server'
                elif name == 'reach' and 'collect' in words:
                    groups[pid] = 'collector'
                elif name == 'oha':
                    groups[pid] = 'oha'
                elif line.startswith('postgres:') and '(' in line:
                    unknown_backends.append((pid, line))
                elif line.startswith('postgres:'):
                    groups[pid] = 'pg:aux'
                elif '/postgres' in words[0]:
                    # The postmaster, or a backend it just forked that has
                    # not set its title yet: asked again next tick.
                    transient[pid] = 'pg:aux'
                elif pid != os.getpid():
                    groups[pid] = 'other'
            if unknown_backends:
                ports = sockets_by_local_port()
                for pid, p in groups.items():
                    if p in ('server', 'collector'):
                        reach[pid] = p
                for pid, line in unknown_backends:
                    group = 'pg:?'
                    try:
                        port = int(line.split('(', 1)[1].split(')', 1)[0])
                        owner = owner_of_socket(ports.get(port), reach) if port in ports else None
                        if owner is not None:
                            group = 'pg:' + reach[owner]
                    except ValueError:
                        pass
                    groups[pid] = group
            alive = set(pids)
            totals = {}
            for pid in pids:
                group = groups.get(pid) or transient.get(pid)
                if group is None:
                    continue
                stat = schedstat(pid)
                if stat is None:
                    continue
                # A process seen first after the first tick began since
                # the tick before: all it ran counts.
                before = last.get(pid, stat if first else (0, 0))
                last[pid] = stat
                run, wait = totals.get(group, (0, 0))
                totals[group] = (run + stat[0] - before[0], wait + stat[1] - before[1])
            for pid in list(last):
                if pid not in alive:
                    del last[pid]
                    groups.pop(pid, None)
            first = False
            out.write(json.dumps({'t': round(now * 1000), 'g': totals}) + '\n')
            out.flush()
            time.sleep(max(0.0, every - (time.time() - now)))


if __name__ == '__main__':
    main()
