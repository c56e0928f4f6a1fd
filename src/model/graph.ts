// Dependency graph helpers over plain data: cycle detection and dependency-first ordering.

/** The first dependency cycle found, as a closed path (a → b → a), or undefined. Deterministic: names visited in sorted order. */
export function findCycle(deps: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of [...(deps.get(n) ?? [])].sort()) {
      if (!deps.has(d)) continue;
      const s = state.get(d);
      if (s === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (s === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of [...deps.keys()].sort()) {
    if (state.get(n) === undefined) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

/** Names ordered so that dependencies come before dependents (ties by name). Assumes no cycle. */
export function dependencyOrder(deps: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (n: string) => {
    if (done.has(n)) return;
    done.add(n);
    for (const d of [...(deps.get(n) ?? [])].sort()) if (deps.has(d)) visit(d);
    out.push(n);
  };
  for (const n of [...deps.keys()].sort()) visit(n);
  return out;
}
