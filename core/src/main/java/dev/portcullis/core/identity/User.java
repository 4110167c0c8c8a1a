package dev.portcullis.core.identity;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A user as admins see it. Never a password hash or a second factor's secret.
 *
 * @param id          core-assigned UUID
 * @param name        the login
 * @param groups      names of the groups the user belongs to
 * @param enrolledAt  when the user completed enrollment
 */
public record User(String id, String name, String email, String displayName, UserState state, List<String> groups,
                   Instant createdAt, Optional<Instant> enrolledAt) {

    public User {
        groups = List.copyOf(groups);
    }
}
