interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/** A binary min-heap of timed events, ordered by time then by insertion: deterministic ties. */
export class EventQueue<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const entry = { at, seq: this.seq++, item };
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at < at || (p.at === at && p.seq < entry.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.heap.length ? this.heap[0]!.at : Number.POSITIVE_INFINITY;
  }

  pop(): { at: number; item: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (!top) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        const lc = heap[l]!;
        if (r < n) {
          const rc = heap[r]!;
          if (rc.at < lc.at || (rc.at === lc.at && rc.seq < lc.seq)) c = r;
        }
        const child = heap[c]!;
        if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
    return { at: top.at, item: top.item };
  }
}
