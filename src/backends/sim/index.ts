/** The simulator backends: in process, served over HTTP, and the client of a served one. */
export {
  createSimBackend,
  targetOf,
  type JournalEntry,
  type SimBackend,
  type SimBackendOptions,
  type StampedJournalEntry,
} from './backend.js';
export { createSimApp, scaledClock, startSimServer, type RunningSimServer, type SimServerOptions } from './server.js';
export { createRemoteSimBackend, parseSimUrl, type RemoteSimBackend } from './remote.js';
export { prometheusText } from './metrics.js';
