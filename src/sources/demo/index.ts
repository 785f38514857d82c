export { demoIncident } from './company.js';
export { estimateDemoEvents } from './estimate.js';
export {
  checkDemoOptions,
  DEMO_DEFAULTS,
  DEMO_MAX_DAYS,
  DEMO_MAX_PEOPLE,
  DEMO_SOURCE,
  type DemoOptions,
  generateDemo,
} from './generate.js';
export type { DemoIncident } from './incident.js';
