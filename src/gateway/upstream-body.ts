import { Readable } from 'node:stream';
import { errors } from 'undici';

/**
 * What the gateway uses of an upstream's response body. Most answers are read whole (`bytes`) and never need a
 * stream: undici's `request()` gives every response a body stream, a promise and an async resource, which cost a
 * gateway call ~5–10% of its CPU (bench/HISTORY.md, Gateway, thirty-sixth session); a body is a stream here only when
 * a consumer asks for one (`stream`).
 */
export interface UpstreamBody {
  /** The whole body; rejects if the upstream breaks off, stalls past timeouts.idle_ms, or the call is aborted. */
  bytes(): Promise<Buffer>;
  /** The body as it comes, with backpressure: the upstream's socket waits while the stream is full. */
  stream(): Readable;
  /**
   * Hands the body to `sink` as it comes, each run of it that arrived together (one read of the upstream's socket)
   * as one buffer, so a streamed answer is forwarded with one write per read. Returns `more`, which the sink calls
   * once it has room again after `data` returned false.
   */
  forward(sink: BodySink): () => void;
  /** Drops the body and ends the upstream request (a fallback after a 429 or 5xx). */
  dump(): Promise<void>;
}

/**
 * A body already read (`bytes`), or whose reading failed (`Error`), as a body again for the responders: a 400 the
 * gateway looked into before answering with it.
 */
export function readBody(read: Buffer | Error): UpstreamBody {
  return {
    bytes: () => (read instanceof Error ? Promise.reject(read) : Promise.resolve(read)),
    stream: () =>
      read instanceof Error
        ? new Readable({
            read() {
              this.destroy(read);
            },
          })
        : Readable.from([read]),
    forward(sink) {
      if (read instanceof Error) sink.error(read);
      else {
        sink.data(read);
        sink.end();
      }
      return () => {};
    },
    dump: () => Promise.resolve(),
  };
}

/** Where `forward` hands a body. */
export interface BodySink {
  /** What arrived; false when the sink is full (the upstream waits until the sink calls `more`). */
  data(chunk: Buffer): boolean;
  end(): void;
  /** The upstream broke off, stalled, or the call was aborted. */
  error(e: Error): void;
}

/**
 * A response body fed by undici's dispatch callbacks (upstream-client.ts). Chunks are kept until a consumer reads
 * them whole, asks for a stream or has them forwarded; one consumer only, as with any body.
 */
export class DispatchedBody implements UpstreamBody {
  /** What arrived and no consumer has taken yet (for `forward`: since the last hand-over). */
  private parts: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  private whole: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private readable: Readable | null = null;
  private sink: BodySink | null = null;
  /** `forward`: a hand-over is due at the end of this read, and whether the sink is full. */
  private flushing = false;
  private full = false;

  constructor(
    /** Resumes the upstream's socket after a chunk was refused (the stream was full). */
    private readonly resume: () => void,
    /** Ends the upstream request with this error (the handler's onError follows). */
    private readonly abort: (e: Error) => void,
  ) {}

  /** A chunk from the upstream; false asks undici to pause the socket until `resume`. */
  push(chunk: Buffer): boolean {
    if (this.sink !== null) {
      this.parts.push(chunk);
      if (this.full) return false;
      // undici calls this once per HTTP chunk, several times for one socket read; they are handed over together
      // once the read is parsed.
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(this.flush);
      }
      return true;
    }
    if (this.readable !== null) return this.readable.push(chunk);
    this.parts.push(chunk);
    return true;
  }

  end(): void {
    this.ended = true;
    if (this.sink !== null) {
      // A short answer's last read and its end come together: the sink gets both in this turn. A full sink gets
      // them from `more`.
      if (this.full) return;
      this.flush();
      if (!this.full) this.sink.end();
    } else if (this.readable !== null) this.readable.push(null);
    else if (this.whole !== null) this.whole.resolve(concat(this.parts));
  }

  fail(e: Error): void {
    if (this.ended || this.failure !== null) return;
    this.failure = e;
    if (this.sink !== null) this.sink.error(e);
    else if (this.readable !== null) this.readable.destroy(e);
    else if (this.whole !== null) this.whole.reject(e);
  }

  bytes(): Promise<Buffer> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(concat(this.parts));
    return new Promise((resolve, reject) => {
      this.whole = { resolve, reject };
    });
  }

  stream(): Readable {
    const r = new Readable({
      read: () => this.resume(),
      destroy: (e, done) => {
        // A consumer that stops reading (the client left) ends the upstream request too.
        if (!this.ended && this.failure === null) this.abort(e ?? new errors.RequestAbortedError());
        done(e);
      },
    });
    this.readable = r;
    for (const p of this.parts) r.push(p);
    this.parts = [];
    if (this.failure !== null) r.destroy(this.failure);
    else if (this.ended) r.push(null);
    return r;
  }

  forward(sink: BodySink): () => void {
    this.sink = sink;
    if (this.failure !== null) sink.error(this.failure);
    else if (this.ended) this.end();
    else if (this.parts.length > 0) this.flush();
    return this.more;
  }

  private readonly flush = (): void => {
    this.flushing = false;
    if (this.parts.length === 0 || this.failure !== null) return;
    const b = concat(this.parts);
    this.parts = [];
    if (!this.sink!.data(b)) this.full = true;
  };

  private readonly more = (): void => {
    if (!this.full || this.failure !== null) return;
    this.full = false;
    this.flush();
    if (this.full) return;
    if (this.ended) this.sink!.end();
    else this.resume();
  };

  dump(): Promise<void> {
    this.parts = [];
    if (!this.ended && this.failure === null) this.abort(new errors.RequestAbortedError('body dumped'));
    return Promise.resolve();
  }
}

function concat(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * `forward` for a body that is a stream (a decoder in front of the upstream's: content-decoding.ts). Read, not 'data'
 * events: read() hands over all that has arrived as one buffer.
 */
export function forwardReadable(body: Readable, sink: BodySink): () => void {
  let full = false;
  const pump = () => {
    if (full) return;
    for (let chunk = body.read() as Buffer | null; chunk !== null; chunk = body.read() as Buffer | null) {
      if (!sink.data(chunk)) {
        full = true;
        return;
      }
    }
  };
  body.on('readable', pump);
  body.on('end', () => sink.end());
  body.on('error', (e) => sink.error(e));
  return () => {
    if (!full) return;
    full = false;
    pump();
  };
}
