/** Per-client rate limiting of public requests, before anything reaches core. */
package dev.portcullis.edge.ratelimit;
