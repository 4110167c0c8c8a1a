/** Core's master key file and the bootstrap of its CA (created once, stored sealed, restored on every start). */
package dev.portcullis.core.ca;
