export { cursorSource } from './source.js';
export { CURSOR_SOURCE, cursorEvent } from './usage-event.js';
