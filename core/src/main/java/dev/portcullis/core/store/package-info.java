/** Core's PostgreSQL: the embedded server (default) or an external one, the connection pool and the schema migrations. */
package dev.portcullis.core.store;
