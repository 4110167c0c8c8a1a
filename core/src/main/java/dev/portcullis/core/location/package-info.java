/**
 * Locations: which device peers each location's gateways admit (one row per tunnel session, its
 * preshared key sealed), the location's ACL, pushing both to every gateway with acknowledgement,
 * and what gateways report back about their WireGuard interface and peers.
 */
package dev.portcullis.core.location;
