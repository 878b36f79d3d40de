export {
  createPrometheusSource,
  DEFAULT_QUERIES,
  HEALTH_FUNCTIONS,
  PrometheusSourceConfig,
  type PrometheusSource,
  type PrometheusSourceOptions,
  type HealthFunction,
} from './source.js';
