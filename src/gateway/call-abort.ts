import { EventEmitter } from 'node:events';

/**
 * Cancels a call's upstream request when its client goes away. undici takes an EventEmitter with `aborted` and an
 * 'abort' event as a signal; this one costs a plain object, where an AbortController (an EventTarget, its signal and
 * undici's listener on it) was several µs of every call, nearly all of which never abort.
 */
export class CallAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
