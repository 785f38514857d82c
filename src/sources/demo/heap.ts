import type { Session } from './session.js';

/**
 * Min-heap of live sessions keyed by the start of their next call. Merging sessions through it yields calls in
 * time order while holding only the sessions in flight, which keeps memory flat however long the range is.
 */
export class SessionHeap {
  private readonly a: Session[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): Session | undefined {
    return this.a[0];
  }

  push(s: Session): void {
    const a = this.a;
    let i = a.length;
    a.push(s);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (p.next <= s.next) break;
      a[i] = p;
      i = parent;
    }
    a[i] = s;
  }

  /** Removes the top session. */
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown();
    }
  }

  /** Restores order after the top session's `next` grew. */
  siftDown(): void {
    const a = this.a;
    const n = a.length;
    const s = a[0]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1]!.next < a[c]!.next) c++;
      const child = a[c]!;
      if (child.next >= s.next) break;
      a[i] = child;
      i = c;
    }
    a[i] = s;
  }
}
