/** The client side of a socket, as the gateway writes to it (a `ws` WebSocket). */
export interface ClientSocket {
  /** A string goes as a text message, a Buffer as a binary one. */
  send(data: string | Buffer): void;
  readonly readyState: number;
}

/** `WebSocket.OPEN`. */
const OPEN = 1;

/**
 * Sends messages in the order they were given, where some are not ready yet (a response's last event, held until
 * its call is recorded): each message waits for those before it. A message given while nothing waits goes at once.
 */
export class OrderedSender {
  private readonly queue: (string | Buffer | Promise<string | Buffer>)[] = [];
  private pumping = false;

  constructor(private readonly socket: ClientSocket) {}

  /** A promise given here must not reject. */
  send(m: string | Buffer | Promise<string | Buffer>): void {
    if (this.queue.length === 0 && !(m instanceof Promise)) this.write(m);
    else {
      this.queue.push(m);
      if (!this.pumping) void this.pump();
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length !== 0) {
      const m = await this.queue[0]!;
      this.queue.shift();
      this.write(m);
    }
    this.pumping = false;
  }

  private write(m: string | Buffer): void {
    // A client gone takes nothing more; its calls are recorded all the same.
    if (this.socket.readyState === OPEN) this.socket.send(m);
  }
}
