/**
 * {@code portcullis-agent}: the thin command line of the client agent ({@link dev.portcullis.agent.AgentMain})
 * and its commands; the work is in {@code enroll}, {@code state} and {@code terminal}.
 */
package dev.portcullis.agent;
