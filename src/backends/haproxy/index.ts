export { createHaproxyBackend, type HaproxyBackend, type HaproxyBackendOptions } from './backend.js';
export { HaproxyConfig, loadHaproxyConfig, parseHaproxyConfig } from './config.js';
export { RuntimeApi, type ServerState } from './runtime-api.js';
export { toHaproxyWeights, HAPROXY_MAX_WEIGHT } from './weights.js';
