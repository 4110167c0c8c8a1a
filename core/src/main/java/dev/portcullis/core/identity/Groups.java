package dev.portcullis.core.identity;

import static dev.portcullis.core.store.Database.instant;
import static dev.portcullis.core.store.Database.timestamp;

import dev.portcullis.core.audit.Actor;
import dev.portcullis.core.audit.SecurityAction;
import dev.portcullis.core.audit.SecurityEvent;
import dev.portcullis.core.audit.SecurityEvents;
import dev.portcullis.core.error.ConflictException;
import dev.portcullis.core.error.NotFoundException;
import dev.portcullis.core.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Groups of users, in PostgreSQL. Locations restricted to groups are reachable by their members only. */
public final class Groups {

    private static final String COLUMNS = "g.id, g.name, g.created_at, ARRAY(SELECT u.name FROM group_members gm "
            + "JOIN users u ON u.id = gm.user_id WHERE gm.group_id = g.id ORDER BY u.name) AS members";

    private final Database database;
    private final Clock clock;
    private final SecurityEvents events;

    public Groups(Database database, Clock clock, SecurityEvents events) {
        this.database = database;
        this.clock = clock;
        this.events = events;
    }

    public Group create(String name, Actor actor) {
        String valid = IdentityNames.groupName(name);
        return database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO groups (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setObject(1, UUID.randomUUID());
                insert.setString(2, valid);
                insert.setObject(3, timestamp(clock.instant()));
                if (insert.executeUpdate() == 0) {
                    throw new ConflictException("a group named '" + valid + "' already exists");
                }
            }
            events.record(connection, SecurityEvent.success(SecurityAction.GROUP_CREATED, actor, "group:" + valid));
            return selectOne(connection, valid).orElseThrow();
        });
    }

    public List<Group> list() {
        return database.inTransaction(connection -> select(connection, "SELECT " + COLUMNS + " FROM groups g ORDER BY g.name"));
    }

    public Optional<Group> byName(String name) {
        if (!IdentityNames.isValidName(name)) {
            return Optional.empty();
        }
        return database.inTransaction(connection -> selectOne(connection, name));
    }

    /**
     * Deletes the group; its members stay. A group that restricts a location is refused: deleting it
     * could leave the location restricted to no group, which means open to every user.
     */
    public Group delete(String name, Actor actor) {
        return database.inTransaction(connection -> {
            Group group = lock(connection, name);
            try (PreparedStatement uses = connection.prepareStatement(
                    "SELECT lg.location FROM location_groups lg JOIN groups g ON g.id = lg.group_id WHERE g.name = ? "
                            + "ORDER BY lg.location")) {
                uses.setString(1, name);
                try (ResultSet rs = uses.executeQuery()) {
                    List<String> locations = new ArrayList<>();
                    while (rs.next()) {
                        locations.add(rs.getString(1));
                    }
                    if (!locations.isEmpty()) {
                        throw new ConflictException("group '" + name + "' decides who may reach location(s) "
                                + String.join(", ", locations) + "; it cannot be deleted while it does");
                    }
                }
            }
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM groups WHERE name = ?")) {
                delete.setString(1, name);
                delete.executeUpdate();
            }
            events.record(connection, SecurityEvent.success(SecurityAction.GROUP_DELETED, actor, "group:" + name)
                    .with("members", group.members().size()));
            return group;
        });
    }

    public Group addMember(String group, String user, Actor actor) {
        return database.inTransaction(connection -> {
            lock(connection, group);
            UUID userId = Users.lockId(connection, user);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO group_members (group_id, user_id) SELECT id, ? FROM groups WHERE name = ? "
                            + "ON CONFLICT DO NOTHING")) {
                insert.setObject(1, userId);
                insert.setString(2, group);
                if (insert.executeUpdate() == 1) {
                    events.record(connection, SecurityEvent.success(SecurityAction.GROUP_MEMBER_ADDED, actor,
                            SecurityEvent.user(user)).with("group", group));
                }
            }
            return selectOne(connection, group).orElseThrow();
        });
    }

    public Group removeMember(String group, String user, Actor actor) {
        return database.inTransaction(connection -> {
            lock(connection, group);
            UUID userId = Users.lockId(connection, user);
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM group_members WHERE user_id = ? AND group_id = (SELECT id FROM groups WHERE name = ?)")) {
                delete.setObject(1, userId);
                delete.setString(2, group);
                if (delete.executeUpdate() == 0) {
                    throw new NotFoundException("user '" + user + "' is not a member of group '" + group + "'");
                }
            }
            events.record(connection, SecurityEvent.success(SecurityAction.GROUP_MEMBER_REMOVED, actor,
                    SecurityEvent.user(user)).with("group", group));
            return selectOne(connection, group).orElseThrow();
        });
    }

    private static Group lock(Connection connection, String name) throws SQLException {
        if (!IdentityNames.isValidName(name)) {
            throw IdentityNames.noGroup(name);
        }
        try (PreparedStatement lock = connection.prepareStatement("SELECT 1 FROM groups WHERE name = ? FOR UPDATE")) {
            lock.setString(1, name);
            try (ResultSet rs = lock.executeQuery()) {
                if (!rs.next()) {
                    throw IdentityNames.noGroup(name);
                }
            }
        }
        return selectOne(connection, name).orElseThrow();
    }

    private static Optional<Group> selectOne(Connection connection, String name) throws SQLException {
        return select(connection, "SELECT " + COLUMNS + " FROM groups g WHERE g.name = ?", name).stream().findFirst();
    }

    private static List<Group> select(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = select.executeQuery()) {
                List<Group> groups = new ArrayList<>();
                while (rs.next()) {
                    groups.add(new Group(rs.getString("name"), List.of((String[]) rs.getArray("members").getArray()),
                            instant(rs, "created_at")));
                }
                return groups;
            }
        }
    }
}
