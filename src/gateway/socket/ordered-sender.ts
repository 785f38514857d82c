/** The client side of a socket, as the gateway writes to it (a `ws` WebSocket). */
export interface ClientSocket {
  /** A string goes as a text message, a Buffer as a binary one. */
  send(data: string | Buffer): void;
  close(code: number, reason: string): void;
  readonly readyState: number;
}

class Close {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {}
}

type Message = string | Buffer | Close;

/** `WebSocket.OPEN`. */
const OPEN = 1;

/**
 * Sends messages in the order they were given, where some are not ready yet (a response's last event, held until
 * its call is recorded): each message waits for those before it. A message given while nothing waits goes at once.
 */
export class OrderedSender {
  private readonly queue: (Message | Promise<Message>)[] = [];
  private pumping = false;

  constructor(private readonly socket: ClientSocket) {}

  /** A promise given here must not reject. */
  send(m: Message | Promise<Message>): void {
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

  /** Closes the socket once everything given before is sent. */
  close(code: number, reason: string): void {
    this.send(new Close(code, reason));
  }

  private write(m: Message): void {
    // A client gone takes nothing more; its calls are recorded all the same.
    if (this.socket.readyState !== OPEN) return;
    if (m instanceof Close) this.socket.close(m.code, m.reason);
    else this.socket.send(m);
  }
}
