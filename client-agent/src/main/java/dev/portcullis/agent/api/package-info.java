/**
 * The enrollment JSON contract of {@code enrollment/API.md}, as the agent reads it: one record per
 * answer, mapped once at the edge. Records that carry a secret redact it in {@code toString}.
 */
package dev.portcullis.agent.api;
