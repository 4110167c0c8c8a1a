/** {@code portcullis-admin}: the operator's command line, a client of core's admin API. */
package dev.portcullis.core.cli;
