#!/usr/bin/env python3
"""When the slow requests of a fixed-rate load run fell, and which they were.

    node bench/bench.mjs --load ... --keep-requests DIR
    python3 bench/timeline.py DIR

`DIR` holds oha's record of every request (`requests.db`, written by its
`--db-url`) and the runs' times (`runs.json`: from, ended and to in ms
since oha started, `to` being the end of the settling after the run).
Prints, for the idle side and for each part of a run (its first second,
its middle, its last three seconds, where its upkeep ends, and the
settling after it), the requests' p50/p95/p99 and how
many were slower than twice the idle p99; then those slow requests by
kind of answer and by 100 ms bucket, to tell a stall (many at once) from
a spread; last, the slow requests by where they fell in the run's
publication cycle (`REACH_PUBLISH_LAG_MS`, 5000 by default, as the
server's `REACH_PUBLISH_LAG`). A request counts where its due time fell,
as in bench.mjs. With `sched.jsonl` beside (bench/sched.py, which
bench.mjs starts with `--keep-requests`): who ran and who waited for a
CPU, by the same parts and in the busiest buckets.
"""

import json
import os
import math
import sqlite3
import sys
from collections import Counter
from pathlib import Path


def quantile(sorted_values, q):
    if not sorted_values:
        return 0
    # Nearest rank, as bench.mjs's quantile.
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def kind(url):
    path = url.split('://', 1)[-1].split('/', 1)[-1]
    endpoint = path.split('?', 1)[0]
    if endpoint in ('api/account', 'api/history', 'api/compare'):
        return endpoint + ' (one account)'
    return endpoint


def main(directory):
    directory = Path(directory)
    phases = json.loads((directory / 'runs.json').read_text())['phases']
    db = sqlite3.connect(directory / 'requests.db')
    rows = db.execute(
        'SELECT url, COALESCE(start_latency_correction, start) * 1e3, '
        '(end - COALESCE(start_latency_correction, start)) * 1e3 FROM oha'
    ).fetchall()

    def part(due):
        for phase in phases:
            if phase['from'] <= due < phase['to']:
                since = due - phase['from']
                if due >= phase['ended']:
                    return 'settling'
                if since < 1000:
                    return 'run, first second'
                # Where its upkeep ends (boards, the next day's marks; on
                # PostgreSQL the upkeep took longer than this).
                return 'run, last 3 s' if phase['ended'] - due < 3000 else 'run, middle'
        return 'idle'

    by_part = {}
    for url, due, latency in rows:
        by_part.setdefault(part(due), []).append((due, latency, url))
    idle = sorted(latency for _, latency, _ in by_part.get('idle', []))
    slow_from = 2 * quantile(idle, 0.99)
    print(f'{len(rows)} requests; slow: over {slow_from:.1f} ms (twice the idle p99)')
    print(f"{'part':<20}{'requests':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'slow':>7}")
    for name in ('idle', 'run, first second', 'run, middle', 'run, last 3 s', 'settling'):
        requests = by_part.get(name, [])
        latencies = sorted(latency for _, latency, _ in requests)
        slow = sum(1 for latency in latencies if latency > slow_from)
        print(f'{name:<20}{len(latencies):>9}{quantile(latencies, 0.5):>8.1f}'
              f'{quantile(latencies, 0.95):>8.1f}{quantile(latencies, 0.99):>8.1f}{slow:>7}')
    slow = [(due, latency, url) for name, requests in by_part.items() if name != 'idle'
            for due, latency, url in requests if latency > slow_from]
    print('\nslow requests while writing, by kind of answer:')
    everything = Counter(kind(url) for name, requests in by_part.items() if name != 'idle'
                         for _, _, url in requests)
    for name, count in Counter(kind(url) for _, _, url in slow).most_common():
        print(f'  {name:<32}{count:>6} of {everything[name]}')
    buckets = Counter(int(due // 100) for due, _, _ in slow)
    print('\nslow requests while writing, per 100 ms bucket that had any:')
    for low, high in ((1, 1), (2, 5), (6, 20), (21, 100), (101, 10**9)):
        within = [count for count in buckets.values() if low <= count <= high]
        label = f'{low}' if low == high else (f'{low}-{high}' if high < 10**9 else f'over {low - 1}')
        print(f'  {len(within):>5} buckets with {label:<8} slow: {sum(within):>6} requests')
    idle_slow = Counter(int(due // 100) for due, latency, _ in by_part.get('idle', [])
                        if latency > slow_from)
    print(f'idle, for comparison: {len(idle_slow)} buckets, '
          f'{sum(1 for c in idle_slow.values() if c > 20)} with over 20 slow')
    print('\nthe busiest buckets (ms since the run began, slow requests, their worst ms):')
    for bucket, count in buckets.most_common(12):
        due = bucket * 100
        # A bucket may begin before the run its requests fell in.
        first = min(d for d, _, _ in slow if int(d // 100) == bucket)
        phase = next(p for p in phases if p['from'] <= first < p['to'])
        worst = max(latency for d, latency, _ in slow if int(d // 100) == bucket)
        print(f"  {due - phase['from']:>7.0f} (run ends {phase['ended'] - phase['from']:.0f})"
              f'{count:>6}{worst:>8.1f}')
    publish_every = float(os.environ.get('REACH_PUBLISH_LAG_MS', '5000'))
    print(f'\nslow requests while writing by where they fell in the run\'s publication '
          f'cycle (every {publish_every:.0f} ms from its start, REACH_PUBLISH_LAG_MS), '
          'in slots of 500 ms:')
    cycle = Counter()
    for due, _, _ in slow:
        phase = next(p for p in phases if p['from'] <= due < p['to'])
        if due < phase['ended']:
            cycle[int(((due - phase['from']) % publish_every) // 500)] += 1
    for slot in range(int(math.ceil(publish_every / 500))):
        print(f'  {slot * 500:>5}-{slot * 500 + 500:<5} ms after a publication{cycle[slot]:>7}')

    cpu(directory, phases, publish_every, [b * 100 for b, _ in buckets.most_common(12)])


GROUPS = ('server', 'pg:server', 'collector', 'pg:collector', 'pg:aux', 'pg:?', 'oha', 'other')


def cpu(directory, phases, publish_every, busiest):
    """Who ran and who waited for a CPU, by part of the runs
    (`sched.jsonl`, written by bench/sched.py beside oha's record)."""
    path = directory / 'sched.jsonl'
    started = json.loads((directory / 'runs.json').read_text()).get('startedAt')
    if not path.exists() or started is None:
        return
    ticks = []
    previous = None
    for line in path.read_text().splitlines():
        tick = json.loads(line)
        at = tick['t'] - started
        if previous is not None:
            ticks.append((previous, at, tick['g']))
        previous = at

    def place(due):
        for phase in phases:
            if phase['from'] <= due < phase['to']:
                if due >= phase['ended']:
                    return 'settling'
                slot = ((due - phase['from']) % publish_every) // 500
                return ('0-500 ms after a publication', '500-1000 ms after')[int(slot)] \
                    if slot < 2 else 'rest of the cycle'
        return 'idle'

    print('\nCPU by part (ms a second: on a CPU / runnable but waiting for one; '
          'two cores give 2,000 to share):')
    print(f"{'part':<30}{'s':>6}" + ''.join(f'{g:>16}' for g in GROUPS))
    parts = {}
    for start, end, groups in ticks:
        part = parts.setdefault(place((start + end) / 2), {'ms': 0, 'groups': {}})
        part['ms'] += end - start
        for group, (run, wait) in groups.items():
            sums = part['groups'].setdefault(group, [0, 0])
            sums[0] += run
            sums[1] += wait
    for name in ('idle', '0-500 ms after a publication', '500-1000 ms after',
                 'rest of the cycle', 'settling'):
        part = parts.get(name)
        if not part or not part['ms']:
            continue
        seconds = part['ms'] / 1000
        cells = ''
        for group in GROUPS:
            run, wait = part['groups'].get(group, (0, 0))
            cells += f'{run / 1e6 / seconds:>9.0f}/{wait / 1e6 / seconds:<6.0f}'
        print(f'{name:<30}{seconds:>6.0f}{cells}')
    print('\nthe busiest buckets above, and the 100 ms before each (ms on a CPU / waiting):')
    for due in busiest:
        for label, low in (('before', due - 100), ('bucket', due)):
            cells = ''
            for group in GROUPS:
                run = wait = 0
                for start, end, groups in ticks:
                    middle = (start + end) / 2
                    if low <= middle < low + 100 and group in groups:
                        run += groups[group][0]
                        wait += groups[group][1]
                cells += f'{run / 1e6:>9.0f}/{wait / 1e6:<6.0f}'
            print(f'  {due:>8} {label:<7}{cells}')


if __name__ == '__main__':
    main(sys.argv[1])
