package dev.portcullis.core.identity;

import java.time.Instant;
import java.util.List;

/** A group of users; locations may be restricted to groups. */
public record Group(String name, List<String> members, Instant createdAt) {

    public Group {
        members = List.copyOf(members);
    }
}
