export { cursorSource } from './source.js';
export { CURSOR_SOURCE, cursorEvent, providerOfModel } from './usage-event.js';
