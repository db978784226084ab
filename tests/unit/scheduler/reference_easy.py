#!/usr/bin/env python3
"""Independent reference EASY replay (Mu'alem & Feitelson 2001) of an SWF trace.

Interchangeable processors; textbook rules: on every event time, after all
finishes and submits of that time, start jobs from the head of the FCFS queue
while they fit; then the head gets a reservation at the shadow time (from
running jobs' estimated ends), and each later job starts now if it fits now and
either ends by the shadow time or uses no more than the extra processors.
Prints 'id submit start end' per job, in trace order (submit, id).
"""
import gzip
import heapq
import sys


def load(path, limit):
    opener = gzip.open if path.endswith(".gz") else open
    jobs, max_procs = [], 0
    with opener(path, "rt") as f:
        for line in f:
            s = line.strip()
            if not s:
                continue
            if s.startswith(";"):
                if "MaxProcs:" in s:
                    max_procs = int(s.split("MaxProcs:")[1].split()[0])
                continue
            v = [int(float(x)) for x in s.split()]
            procs = v[7] if v[7] > 0 else v[4]
            run = v[3]
            est = max(v[8], run)
            jobs.append((v[1], v[0], run, est, procs))
    jobs = [j for j in jobs if j[2] >= 0 and 0 < j[4] <= max_procs]
    jobs.sort(key=lambda j: (j[0], j[1]))
    if limit:
        jobs = jobs[:limit]
    return jobs, max_procs


def replay(jobs, machine):
    free = machine
    queue = []     # indexes, FCFS
    running = []   # (est_end, procs) of running jobs, by index
    est_end = {}
    finish = []    # heap (time, index)
    start = [None] * len(jobs)
    nxt = 0
    while nxt < len(jobs) or finish:
        now = finish[0][0] if finish else jobs[nxt][0]
        if nxt < len(jobs):
            now = min(now, jobs[nxt][0])
        while finish and finish[0][0] == now:
            _, i = heapq.heappop(finish)
            free += jobs[i][4]
            del est_end[i]
        while nxt < len(jobs) and jobs[nxt][0] == now:
            queue.append(nxt)
            nxt += 1

        def run(i):
            nonlocal free
            free -= jobs[i][4]
            start[i] = now
            est_end[i] = now + jobs[i][3]
            heapq.heappush(finish, (now + jobs[i][2], i))

        while queue and jobs[queue[0]][4] <= free:
            run(queue.pop(0))
        if not queue:
            continue
        head = queue[0]
        avail = free
        shadow = None
        for end, i in sorted((e, i) for i, e in est_end.items()):
            avail += jobs[i][4]
            if avail >= jobs[head][4]:
                shadow = end
                break
        # all jobs ending exactly at the shadow time are free by then
        extra = free + sum(jobs[i][4] for i, e in est_end.items() if e <= shadow) - jobs[head][4]
        rest = []
        for i in queue[1:]:
            p = jobs[i][4]
            if p <= free and now + jobs[i][3] <= shadow:
                run(i)
            elif p <= free and p <= extra:
                run(i)
                extra -= p
            else:
                rest.append(i)
        queue = [head] + rest
    return start


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    jobs, machine = load(path, limit)
    start = replay(jobs, machine)
    out = sys.stdout
    for j, s in zip(jobs, start):
        out.write(f"{j[1]} {j[0]} {s} {s + j[2]}\n")


if __name__ == "__main__":
    main()
