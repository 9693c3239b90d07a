import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics for one Sluice process. A registry per instance (no global default), so
 * tests and several apps in one process do not share counters.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpDuration: Histogram<'route'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'sluice' });
  collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'sluice_http_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'sluice_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
