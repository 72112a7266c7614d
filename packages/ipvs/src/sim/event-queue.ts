/**
 * The simulator's timers: a two-level timing wheel, as the kernel keeps its own timers. Events due
 * within the next few seconds sit in 2-ms fine slots; later ones are appended to 2-second coarse
 * slots (about 8.7 minutes ahead) and spread into the fine slots when the clock comes near; a
 * binary heap keeps what lies further out. Events come out strictly in order of time, then of
 * insertion (deterministic ties), exactly as a single heap would give them; the wheels make that
 * cheap: pushing is O(1) and touches memory that is already warm, and a slot's few events are
 * sorted when the clock reaches it. Event objects are flat and reused after they fire.
 */

/** One timed event: `kind` and two fields whose meaning the kind decides (the simulator's). */
export interface TimedEvent {
  at: number;
  seq: number;
  kind: number;
  target: unknown;
  arg: number;
}

const FINE_MS = 2;
const FINE_SLOTS = 2048;
const FINE_MASK = FINE_SLOTS - 1;
/** Fine slots per coarse slot: half the fine wheel, so that the current and the next coarse slot fit in it. */
const FINE_PER_COARSE = FINE_SLOTS / 2;
const COARSE_SLOTS = 256;
const COARSE_MASK = COARSE_SLOTS - 1;

const before = (a: TimedEvent, b: TimedEvent) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
const fineOf = (at: number) => Math.floor(at / FINE_MS);
const coarseOfFine = (fine: number) => Math.floor(fine / FINE_PER_COARSE);

/**
 * A slot's events `[0, n)`: the events, and their times and insertion numbers side by side, so
 * that spreading and sorting a slot read compact arrays instead of every event object. The
 * arrays keep their capacity when the bucket is reused.
 */
class Bucket {
  items: TimedEvent[] = [];
  at = new Float64Array(8);
  seq = new Float64Array(8);
  n = 0;

  /** Appends an event (its time and insertion number given, so that spreading does not read the event). */
  add(event: TimedEvent, at: number, seq: number): void {
    const n = this.n;
    if (n === this.at.length) this.grow();
    this.items[n] = event;
    this.at[n] = at;
    this.seq[n] = seq;
    this.n = n + 1;
  }

  private grow(): void {
    const at = new Float64Array(this.at.length * 2);
    at.set(this.at);
    this.at = at;
    const seq = new Float64Array(this.seq.length * 2);
    seq.set(this.seq);
    this.seq = seq;
  }

  /** Insertion sort by (time, insertion) from `from` on: slots hold a handful of events, often in order already. */
  sort(from: number): void {
    const { items, at, seq } = this;
    for (let i = from + 1; i < this.n; i++) {
      const a = at[i]!;
      const s = seq[i]!;
      const item = items[i]!;
      let j = i - 1;
      while (j >= from && (a < at[j]! || (a === at[j]! && s < seq[j]!))) {
        items[j + 1] = items[j]!;
        at[j + 1] = at[j]!;
        seq[j + 1] = seq[j]!;
        j--;
      }
      items[j + 1] = item;
      at[j + 1] = a;
      seq[j + 1] = s;
    }
  }

  /** Puts an event in order among `[from, n)` (already sorted). */
  insert(event: TimedEvent, a: number, s: number, from: number): void {
    this.add(event, a, s);
    const { items, at, seq } = this;
    let j = this.n - 2;
    while (j >= from && (a < at[j]! || (a === at[j]! && s < seq[j]!))) {
      items[j + 1] = items[j]!;
      at[j + 1] = at[j]!;
      seq[j + 1] = seq[j]!;
      j--;
    }
    items[j + 1] = event;
    at[j + 1] = a;
    seq[j + 1] = s;
  }

  clear(): void {
    this.items.fill(undefined as unknown as TimedEvent, 0, this.n);
    this.n = 0;
  }
}

export class EventQueue {
  private readonly fine: (Bucket | undefined)[] = new Array(FINE_SLOTS);
  private readonly coarse: (Bucket | undefined)[] = new Array(COARSE_SLOTS);
  /** The fine slot being drained (or last drained); every earlier event has fired. */
  private cursor: number;
  /** Coarse slots up to this one have been spread into the fine wheel. */
  private opened: number;
  /** The cursor's events, sorted; those before `index` have fired. */
  private current = new Bucket();
  private index = 0;
  private inFine = 0;
  private inCoarse = 0;
  private readonly overflow = new TimerHeap();
  private seq = 0;
  private readonly spareBuckets: Bucket[] = [];
  private readonly spareEvents: TimedEvent[] = [];

  constructor(startMs = 0) {
    this.cursor = fineOf(startMs) - 1;
    this.opened = coarseOfFine(this.cursor + 1) - 1;
  }

  get size(): number {
    return this.inFine + this.inCoarse + this.overflow.size + (this.current.n - this.index);
  }

  push(at: number, kind: number, target: unknown, arg = 0): void {
    const event = this.spareEvents.pop() ?? { at: 0, seq: 0, kind: 0, target: undefined, arg: 0 };
    event.at = at;
    event.seq = this.seq++;
    event.kind = kind;
    event.target = target;
    event.arg = arg;
    this.place(event, at, event.seq);
  }

  private place(event: TimedEvent, at: number, seq: number): void {
    const fine = fineOf(at);
    if (fine <= this.cursor) {
      this.current.insert(event, at, seq, this.index);
      return;
    }
    const coarse = coarseOfFine(fine);
    if (coarse <= this.opened) {
      this.bucket(this.fine, fine & FINE_MASK).add(event, at, seq);
      this.inFine++;
    } else if (coarse - this.opened <= COARSE_SLOTS) {
      this.bucket(this.coarse, coarse & COARSE_MASK).add(event, at, seq);
      this.inCoarse++;
    } else this.overflow.push(event);
  }

  /** The earliest event due at or before `limit`, taken out of the queue; undefined if none is. */
  next(limit: number): TimedEvent | undefined {
    for (;;) {
      const current = this.current;
      const index = this.index;
      if (index < current.n) {
        if (current.at[index]! > limit) return undefined;
        const event = current.items[index]!;
        current.items[index] = undefined as unknown as TimedEvent;
        this.index = index + 1;
        return event;
      }
      if (!this.advance(fineOf(limit))) return undefined;
    }
  }

  /** Gives a fired event back for reuse (the caller no longer looks at it). */
  recycle(event: TimedEvent): void {
    event.target = undefined;
    this.spareEvents.push(event);
  }

  /** Moves the cursor to the next fine slot with events, up to `last`; false when there is none by then. */
  private advance(last: number): boolean {
    this.current.clear();
    this.index = 0;
    for (;;) {
      if (this.inFine === 0) {
        // nothing in the fine wheel: jump to the next coarse slot with events, or the heap's first
        const next = this.nextOutsideFine();
        if (next === undefined || next > last) return false;
        if (next - 1 > this.cursor) this.cursor = next - 1;
      }
      const slot = this.cursor + 1;
      if (slot > last) return false;
      // the coarse slots reaching this one go into the fine wheel first (the cursor still before it)
      const coarse = coarseOfFine(slot);
      while (this.opened <= coarse) this.open(this.opened + 1);
      this.cursor = slot;
      const bucket = this.fine[slot & FINE_MASK];
      if (bucket && bucket.n > 0) {
        this.fine[slot & FINE_MASK] = undefined;
        this.inFine -= bucket.n;
        bucket.sort(0);
        this.spareBuckets.push(this.current);
        this.current = bucket;
        return true;
      }
    }
  }

  /** The first fine slot of the earliest events outside the fine wheel, if any. */
  private nextOutsideFine(): number | undefined {
    let next: number | undefined;
    if (this.inCoarse > 0)
      for (let k = this.opened + 1; k <= this.opened + COARSE_SLOTS; k++)
        if ((this.coarse[k & COARSE_MASK]?.n ?? 0) > 0) {
          next = k * FINE_PER_COARSE;
          break;
        }
    const top = this.overflow.peek();
    if (top) {
      const fine = fineOf(top.at);
      if (next === undefined || fine < next) next = fine;
    }
    return next;
  }

  /** Spreads coarse slot `k` into the fine wheel, then lets the heap's events that came in reach into the coarse one. */
  private open(k: number): void {
    this.opened = k;
    const bucket = this.coarse[k & COARSE_MASK];
    if (bucket && bucket.n > 0) {
      this.coarse[k & COARSE_MASK] = undefined;
      this.inCoarse -= bucket.n;
      const { items, at, seq } = bucket;
      for (let i = 0; i < bucket.n; i++) this.place(items[i]!, at[i]!, seq[i]!);
      bucket.clear();
      this.spareBuckets.push(bucket);
    }
    for (;;) {
      const top = this.overflow.peek();
      if (!top || coarseOfFine(fineOf(top.at)) - this.opened > COARSE_SLOTS) return;
      this.overflow.pop();
      this.place(top, top.at, top.seq);
    }
  }

  private bucket(slots: (Bucket | undefined)[], index: number): Bucket {
    let bucket = slots[index];
    if (!bucket) {
      bucket = this.spareBuckets.pop() ?? new Bucket();
      slots[index] = bucket;
    }
    return bucket;
  }
}

/** A binary min-heap of events by time, then insertion: the wheel's overflow. */
class TimerHeap {
  private readonly heap: TimedEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): TimedEvent | undefined {
    return this.heap[0];
  }

  push(event: TimedEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (before(p, event)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  pop(): TimedEvent | undefined {
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
        const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
        const child = heap[c]!;
        if (before(last, child)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
