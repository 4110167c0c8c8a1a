/**
 * Core's registry of edge proxies and gateways: registration with one-time join tokens, adoption,
 * accepted certificates, settings and the configuration pushed to each component.
 */
package dev.portcullis.core.component;
