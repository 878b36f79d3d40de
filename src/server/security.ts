/**
 * Security headers on every response of the server, the dashboard's files and the API alike. The dashboard has a
 * "Halt all" button: no other site may frame it and trick an operator into pressing it (clickjacking), so framing is
 * refused twice, by CSP `frame-ancestors 'none'` and by `X-Frame-Options: DENY` for browsers that predate it. The
 * rest of the policy allows exactly what the built dashboard loads: its own scripts, styles and API, and the empty
 * `data:` favicon of index.html.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** The Content-Security-Policy directives, in the camelCase hono's middleware writes out as `default-src` etc. */
const POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: POLICY,
    xFrameOptions: 'DENY',
    // HSTS belongs to whoever terminates TLS in front of the server; set here, with includeSubDomains, it would bind
    // every other host of the operator's domain.
    strictTransportSecurity: false,
  });
}
