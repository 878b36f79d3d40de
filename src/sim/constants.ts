/** The model's fixed assumptions (see README.md for why each has the value it has). */

/** Correlation time of demand noise, seconds: demand wanders over minutes rather than jumping every second. */
export const NOISE_TAU_S = 60;
/** Length of one model step. */
export const TICK_MS = 1000;
/** Requests per second that one established session of a sticky service sends. */
export const SESSION_RPS = 0.1;
/** Cost of establishing (or re-establishing) a session, in requests. */
export const CONNECT_COST = 2;
/** A request arriving at a cluster beyond its warm level costs this many warm requests (cold caches). */
export const COLD_FACTOR = 2;
/** Time constant with which a cluster's warm level follows its load, seconds. */
export const WARM_TAU_S = 60;
/** Load up to this multiple of the warm level is served warm (ordinary fluctuation does not chill a cache). */
export const WARM_SLACK = 1.05;
/** Requests queue for at most this long before they fail (a client timeout), seconds. */
export const QUEUE_TIMEOUT_S = 1;
/** p99 latency of an idle service, seconds. */
export const BASE_LATENCY_S = 0.02;
/**
 * Requests in flight on a session when it is torn down, which fail: its request rate × the idle p99 latency (a
 * session torn down mid-request loses that request; the client retries it once it has reconnected).
 */
export const TEARDOWN_LOSS = SESSION_RPS * BASE_LATENCY_S;
/** Round trip between two datacenters, seconds. */
export const CROSS_DC_RTT_S = 0.04;
/** Fraction of a stateful service's requests that are writes (served by the primary). */
export const WRITE_FRACTION = 0.2;
/** Backbone capacity into a datacenter, as a fraction of the capacity of every service it runs (request units). */
export const LINK_FACTOR = 0.5;
/**
 * Utilisation the backbone links are planned for: transfers paced by the network (shard moves, a replica's
 * network-paced catch-up) use only what the links have to spare below it, leaving the rest for requests and calls.
 */
export const LINK_PLANNED_UTILIZATION = 0.75;
/** Replication stream, as a fraction of the service's capacity at the source (request units per second). */
export const STREAM_FRACTION = 0.1;
/** A catching-up replica pulls at most this many times the stream rate. */
export const CATCH_UP_FACTOR = 10;
/** Lag of a healthy replica, seconds. */
export const BASE_LAG_S = 1;
/** Size of one shard, in request units over the backbone. */
export const SHARD_UNITS = 50_000;
/** Fraction of a cluster's capacity down at once while jobs restart at rate 1 per second. */
export const RESTART_SECONDS = 30;
/** Default propagation delays, ms. */
export const DEFAULT_EDGE_PROPAGATION_MS = 30_000;
export const DEFAULT_CLUSTER_PROPAGATION_MS = 10_000;
