/** Bounded, in-memory rate limits on what the internet can make core do (per token, session or client address). */
package dev.portcullis.core.ratelimit;
