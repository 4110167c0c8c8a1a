/**
 * Which devices are WireGuard peers on this gateway, and until when: core's admissions applied to
 * the device, expired peers removed by the gateway itself (fail closed, with or without core),
 * reconciliation to core's snapshot, a restart record without secrets, and per-peer telemetry.
 */
package dev.portcullis.gateway.admission;
