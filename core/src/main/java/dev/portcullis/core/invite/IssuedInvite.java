package dev.portcullis.core.invite;

import dev.portcullis.pki.enroll.InviteLink;
import java.time.Instant;

/**
 * A freshly issued invite: the only object that holds its link, and so its token. Show
 * {@link #link()} to the admin once; {@code toString} never shows the token ({@link InviteLink}
 * redacts it).
 *
 * @param user      the invited user's login
 * @param edgeProxy the edge-proxy whose public origin the link points at
 */
public record IssuedInvite(String user, InviteLink link, Instant expiresAt, String edgeProxy) {
}
