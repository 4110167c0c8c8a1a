/**
 * Core's admin HTTP API: bound to an internal address only, every call authenticated with an
 * admin token (stored hashed) and logged with its caller.
 */
package dev.portcullis.core.admin;
