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
const order = (a: TimedEvent, b: TimedEvent) => a.at - b.at || a.seq - b.seq;
const fineOf = (at: number) => Math.floor(at / FINE_MS);
const coarseOfFine = (fine: number) => Math.floor(fine / FINE_PER_COARSE);

/** A slot's events by time, then insertion: insertion sort for the usual handful, the library's sort beyond. */
function sortEvents(events: TimedEvent[], n: number): void {
  if (n > 32) {
    const sorted = events.slice(0, n).sort(order);
    for (let i = 0; i < n; i++) events[i] = sorted[i]!;
    return;
  }
  for (let i = 1; i < n; i++) {
    const event = events[i]!;
    let j = i - 1;
    while (j >= 0 && before(event, events[j]!)) {
      events[j + 1] = events[j]!;
      j--;
    }
    events[j + 1] = event;
  }
}

/** A slot's events: `items[0..n)`; the array keeps its capacity when the bucket is reused. */
interface Bucket {
  items: TimedEvent[];
  n: number;
}

export class EventQueue {
  private readonly fine: (Bucket | undefined)[] = new Array(FINE_SLOTS);
  private readonly coarse: (Bucket | undefined)[] = new Array(COARSE_SLOTS);
  /** The fine slot being drained (or last drained); every earlier event has fired. */
  private cursor: number;
  /** Coarse slots up to this one have been spread into the fine wheel. */
  private opened: number;
  /** The cursor's events, sorted; those before `index` have fired. */
  private current: Bucket = { items: [], n: 0 };
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
    this.place(event);
  }

  private place(event: TimedEvent): void {
    const fine = fineOf(event.at);
    if (fine <= this.cursor) {
      this.insertCurrent(event);
      return;
    }
    const coarse = coarseOfFine(fine);
    if (coarse <= this.opened) {
      this.add(this.fine, fine & FINE_MASK, event);
      this.inFine++;
    } else if (coarse - this.opened <= COARSE_SLOTS) {
      this.add(this.coarse, coarse & COARSE_MASK, event);
      this.inCoarse++;
    } else this.overflow.push(event);
  }

  /** The earliest event due at or before `limit`, taken out of the queue; undefined if none is. */
  next(limit: number): TimedEvent | undefined {
    for (;;) {
      const current = this.current;
      if (this.index < current.n) {
        const event = current.items[this.index]!;
        if (event.at > limit) return undefined;
        current.items[this.index++] = undefined as unknown as TimedEvent;
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
    this.current.n = 0;
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
        if (bucket.n > 1) sortEvents(bucket.items, bucket.n);
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
      for (let i = 0; i < bucket.n; i++) {
        const event = bucket.items[i]!;
        bucket.items[i] = undefined as unknown as TimedEvent;
        this.place(event);
      }
      bucket.n = 0;
      this.spareBuckets.push(bucket);
    }
    for (;;) {
      const top = this.overflow.peek();
      if (!top || coarseOfFine(fineOf(top.at)) - this.opened > COARSE_SLOTS) return;
      this.overflow.pop();
      this.place(top);
    }
  }

  private add(slots: (Bucket | undefined)[], index: number, event: TimedEvent): void {
    let bucket = slots[index];
    if (!bucket) {
      bucket = this.spareBuckets.pop() ?? { items: [], n: 0 };
      slots[index] = bucket;
    }
    bucket.items[bucket.n++] = event;
  }

  /** Into the slot being drained, after every event that comes before it. */
  private insertCurrent(event: TimedEvent): void {
    const current = this.current;
    const items = current.items;
    let lo = this.index;
    let hi = current.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(items[mid]!, event)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = current.n; i > lo; i--) items[i] = items[i - 1]!;
    items[lo] = event;
    current.n++;
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
