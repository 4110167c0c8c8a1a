/**
 * The component end of the control link: the TLS gRPC server that edge proxies and gateways run
 * for core, in setup mode until adopted and over mutual TLS after, with its control stream.
 */
package dev.portcullis.protocol.link;
