/**
 * The documents of the HTTP API as typed records, shared by the node (which writes them), the
 * Java client and the lab (which read them) and, later, the console: one definition of each
 * view, and one JSON mapping ({@link io.meridian.core.api.ApiJson}). Pure data: no I/O.
 */
package io.meridian.core.api;
