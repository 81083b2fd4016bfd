/**
 * A dependency-aware task queue for the runner's worker pool: a task starts when every task it depends on
 * has finished, at most `slots` run at once, each task runs at most once at a time (a task id is
 * dispatched again only as the single retry after its first attempt failed), and a task whose dependency
 * failed fails without running. Among ready tasks the one with the highest priority goes first: its own
 * cost plus the costs of everything waiting on it (so the jobs that unblock many cells start early, and
 * expensive work does not end up alone at the tail).
 */

export interface SchedTask<T> {
  id: string;
  /** Ids of tasks of this schedule that must finish first (ids not in the schedule count as done). */
  deps: readonly string[];
  /** Estimated cost (any unit, used for ordering and the ETA). */
  cost: number;
  payload: T;
}

export interface SchedHooks<T, R> {
  slots: number;
  run(payload: T, attempt: number): Promise<R>;
  onDone(task: SchedTask<T>, result: R, seconds: number): void;
  /** `dependency`: not run because a task it depends on failed. */
  onFailed(task: SchedTask<T>, error: string, seconds: number, cause: 'error' | 'dependency'): void;
  onRetry(task: SchedTask<T>, error: string, seconds: number): void;
  signal?: AbortSignal;
}

/** Priority = own cost + cost of every task that (transitively) waits on this one. */
export function priorities<T>(tasks: readonly SchedTask<T>[]): Map<string, number> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const dependents = new Map<string, string[]>();
  for (const t of tasks) for (const d of t.deps) if (byId.has(d)) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  const memo = new Map<string, number>();
  const prio = (id: string): number => {
    const m = memo.get(id);
    if (m !== undefined) return m;
    const downstream = new Set<string>();
    const stack = [...(dependents.get(id) ?? [])];
    while (stack.length) {
      const x = stack.pop()!;
      if (downstream.has(x)) continue;
      downstream.add(x);
      stack.push(...(dependents.get(x) ?? []));
    }
    let p = byId.get(id)!.cost;
    for (const x of downstream) p += byId.get(x)!.cost;
    memo.set(id, p);
    return p;
  };
  return new Map(tasks.map((t) => [t.id, prio(t.id)]));
}

/** Run every task; returns whether the signal stopped it before all were done. Results of tasks in flight at an abort are dropped. */
export async function runSchedule<T, R>(tasks: readonly SchedTask<T>[], hooks: SchedHooks<T, R>): Promise<{ interrupted: boolean }> {
  const ids = new Set(tasks.map((t) => t.id));
  const prio = priorities(tasks);
  const queue = tasks.map((t, i) => ({ t, i, attempt: 0 })).sort((a, b) => prio.get(b.t.id)! - prio.get(a.t.id)! || a.i - b.i);
  const ok = new Set<string>();
  const failed = new Map<string, string>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  const ready = (t: SchedTask<T>): boolean => t.deps.every((d) => !ids.has(d) || ok.has(d));
  const failedDep = (t: SchedTask<T>): string | null => t.deps.find((d) => failed.has(d)) ?? null;

  const start = (item: (typeof queue)[number]): void => {
    const { t, attempt } = item;
    const t0 = performance.now();
    const secs = (): number => (performance.now() - t0) / 1000;
    const p = hooks
      .run(t.payload, attempt)
      .then(
        (r) => {
          if (stopped) return;
          ok.add(t.id);
          hooks.onDone(t, r, secs());
        },
        (err: unknown) => {
          if (stopped) return;
          const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
          if (attempt === 0) {
            queue.unshift({ ...item, attempt: 1 });
            hooks.onRetry(t, msg, secs());
            return;
          }
          failed.set(t.id, msg);
          hooks.onFailed(t, msg, secs(), 'error');
        },
      )
      .finally(() => inFlight.delete(t.id));
    inFlight.set(t.id, p);
  };

  const aborted = new Promise<void>((res) => {
    if (hooks.signal?.aborted) res();
    hooks.signal?.addEventListener('abort', () => res(), { once: true });
  });

  while (queue.length > 0 || inFlight.size > 0) {
    if (hooks.signal?.aborted) break;
    // Tasks whose prerequisites failed fail now, without running (and so may their own dependents).
    for (let k = 0; k < queue.length; k++) {
      const dep = failedDep(queue[k]!.t);
      if (dep === null) continue;
      const [{ t }] = queue.splice(k, 1) as [(typeof queue)[number]];
      failed.set(t.id, `prerequisite ${dep} failed`);
      hooks.onFailed(t, `prerequisite ${dep} failed: ${failed.get(dep)!}`, 0, 'dependency');
      k = -1;
    }
    while (inFlight.size < hooks.slots) {
      const k = queue.findIndex((x) => !inFlight.has(x.t.id) && ready(x.t));
      if (k < 0) break;
      start(queue.splice(k, 1)[0]!);
    }
    if (inFlight.size === 0) break; // nothing runnable: every remaining task waits on a task outside the queue
    await Promise.race([...inFlight.values(), aborted]);
  }
  stopped = hooks.signal?.aborted === true;
  return { interrupted: stopped && (queue.length > 0 || inFlight.size > 0) };
}
