/** Files that hold secrets (master key, admin token, database password): created and accepted owner-only. */
package dev.portcullis.core.secretfile;
