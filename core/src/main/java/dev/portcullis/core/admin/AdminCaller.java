package dev.portcullis.core.admin;

/** Who made an admin API call: the admin token's public id and name. Every call is logged with it. */
public record AdminCaller(String tokenId, String name) {
}
