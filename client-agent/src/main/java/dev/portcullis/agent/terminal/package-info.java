/**
 * The agent's face: where prompts, progress, results and errors go, and how secrets are read
 * (without echo on a console, line by line from a pipe). Nothing here logs.
 */
package dev.portcullis.agent.terminal;
